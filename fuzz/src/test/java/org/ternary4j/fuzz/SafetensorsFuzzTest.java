package org.ternary4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import org.ternary4j.modelio.safetensors.SafetensorsReader;
import org.ternary4j.modelio.safetensors.TensorInfo;

/** Any bytes as a safetensors file: open, then read every tensor (floats where it can). */
class SafetensorsFuzzTest {
    @FuzzTest
    void safetensors(byte[] bytes) throws IOException {
        Hostile.check(bytes, file -> {
            try (SafetensorsReader r = SafetensorsReader.open(file)) {
                for (TensorInfo t : r.tensors()) {
                    r.readBytes(t);
                    if (t.dtype().isFloat()) r.readFloats(t);
                }
            }
        });
    }
}

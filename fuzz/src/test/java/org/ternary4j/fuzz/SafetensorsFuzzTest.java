package org.ternary4j.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import org.ternary4j.formats.safetensors.SafetensorsReader;
import org.ternary4j.formats.safetensors.TensorInfo;

/** Any bytes as a safetensors file: open, then read every tensor (floats where it can). */
class SafetensorsFuzzTest {
    @FuzzTest
    @DictionaryEntries({"\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"__metadata__\"", "\"F32\"", "\"F16\"", "\"BF16\"", "\"U8\"", "\"F4\"",
            "\"I64\"", "[0,0]", "18446744073709551615", "9223372036854775807"})
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

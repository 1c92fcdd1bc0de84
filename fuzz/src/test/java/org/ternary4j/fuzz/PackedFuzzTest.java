package org.ternary4j.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import org.ternary4j.formats.packed.PackedReader;
import org.ternary4j.formats.safetensors.TensorInfo;

/** Any bytes as a packed file: open, decode every ternarized tensor, read the unchanged ones. */
class PackedFuzzTest {
    @FuzzTest
    @DictionaryEntries({"ternary4j.packed", ".codes", ".scales", "\\\"grouping\\\"", "\\\"packing\\\"", "base3", "2bit", "block:", "kernel", "fiber",
            "syq-pixel", "syq-row", "tensor", "row", "\\\"shape\\\"", "\\\"dtype\\\"", "\\\"BF16\\\"", "\\\"F16\\\""})
    void packed(byte[] bytes) throws IOException {
        Hostile.check(bytes, file -> {
            try (PackedReader r = PackedReader.open(file)) {
                for (String name : r.ternaryNames()) r.read(name).dequantize();
                for (TensorInfo t : r.unchanged()) r.file().readBytes(t);
            }
        });
    }
}

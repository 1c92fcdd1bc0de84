package org.ternary4j.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.packed.PackedReader;
import org.ternary4j.runtime.TernaryModel;
import org.ternary4j.runtime.graph.Tensor;

/**
 * Any bytes as the packed file of {@code ternary4j run}: every ternarized tensor read as run reads
 * it, then the bundled LeNet-5 compiled with them and run on one image. The reader may refuse
 * (an IOException or IllegalArgumentException naming the packed file, {@link Hostile}'s contract);
 * weights that do not fit the graph must be refused by the loader with one line starting with the
 * model's file; anything else is a finding.
 */
class RunPackedFuzzTest {
    private static final Path LENET = Path.of("..", "models", "lenet5-fmnist.onnx");
    private static final OnnxModel MODEL;

    static {
        try {
            MODEL = OnnxModel.read(LENET);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest
    @DictionaryEntries({"ternary4j.packed", ".codes", ".scales", "conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight", "fc3.weight",
            "\\\"grouping\\\"", "\\\"packing\\\"", "base3", "2bit", "row", "kernel", "tensor", "block:", "\\\"shape\\\"", "\\\"F32\\\""})
    void runPacked(byte[] bytes) throws IOException {
        Map<String, TernaryTensor> ternary = new HashMap<>();
        boolean[] read = {false};
        Hostile.check(bytes, file -> {
            try (PackedReader r = PackedReader.open(file)) {
                ternary.putAll(r.readAllTernary());
            }
            read[0] = true;
        });
        if (!read[0] || ternary.isEmpty()) return;   // refused as run refuses it, or nothing to load
        try (TernaryModel m = TernaryModel.load(MODEL, ternary, TernaryModel.Options.defaults())) {
            m.run(Map.of(m.inputNames().getFirst(), new Tensor.F32(new int[] {1, 1, 28, 28}, new float[784])));
        } catch (IOException e) {
            String msg = e.getMessage();
            if (msg == null || !msg.startsWith(LENET + ": ") || msg.contains("\n")) throw new AssertionError("not one line starting with the model: " + e, e);
        } catch (RuntimeException e) {
            throw new AssertionError("loading or running packed weights threw other than an IOException: " + e, e);
        }
    }
}

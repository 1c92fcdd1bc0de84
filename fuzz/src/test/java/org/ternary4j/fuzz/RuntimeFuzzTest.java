package org.ternary4j.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.util.Map;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.runtime.TernaryModel;

/**
 * Any bytes as a model for the runtime: read through the ONNX model layer, then compiled by
 * {@link TernaryModel#load} without packed weights (every tensor decoded, attributes checked,
 * kernels prepared, layers fused). Stricter than {@link Hostile}'s contract, as the loader
 * promises: the only acceptable failure is an IOException whose message starts with the file.
 */
class RuntimeFuzzTest {
    @FuzzTest
    @DictionaryEntries({"Conv", "Gemm", "MatMul", "BatchNormalization", "Relu", "MaxPool", "AveragePool", "Constant", "Reshape",
            "kernel_shape", "strides", "pads", "dilations", "group", "auto_pad", "SAME_UPPER", "SAME_LOWER", "VALID", "ceil_mode",
            "transA", "transB", "alpha", "beta", "epsilon", "training_mode", "value"})
    void runtime(byte[] bytes) throws IOException {
        Hostile.check(bytes, file -> {
            try (OnnxModel m = OnnxModel.read(file)) {
                TernaryModel.load(m, Map.of(), TernaryModel.Options.defaults()).close();
            } catch (IOException e) {
                if (e.getMessage() == null || !e.getMessage().startsWith(file + ": ")) throw new AssertionError("message does not start with the file: " + e, e);
                if (e.getMessage().contains("\n")) throw new AssertionError("message of more than one line: " + e, e);
                throw e;
            } catch (RuntimeException e) {
                throw new AssertionError("the loader threw other than an IOException: " + e, e);
            }
        });
    }
}

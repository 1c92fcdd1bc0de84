package org.ternary4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.ValueInfo;

/**
 * Examples must hold as many values as the model's input takes per example (the batch dimension
 * aside). Checked before anything runs, so that the message names the data file rather than
 * surfacing as a failure deep inside the graph, after minutes of work.
 */
final class ExampleShape {
    private ExampleShape() {}

    /**
     * A data set of one unnamed array for a single-input model read from {@code model}; named
     * arrays, models with several inputs and symbolic dimensions are left to the runners.
     */
    static void check(Dataset data, Path model) throws IOException {
        if (data.inputs().size() != 1 || data.inputs().getFirst().name() != null) return;
        NdArray x = data.inputs().getFirst().array();
        try (OnnxModel m = OnnxModel.read(model)) {
            List<ValueInfo> inputs = m.graph().runtimeInputs();
            if (inputs.size() != 1) return;
            ValueInfo input = inputs.getFirst();
            long[] declared = input.shape();
            if (declared.length == 0) return;
            long per = 1;
            for (int i = 1; i < declared.length; i++) {
                if (declared[i] < 0) return;   // a symbolic dimension: only the runner can tell
                per *= declared[i];
            }
            if (per != x.exampleSize()) {
                throw new IOException(data.source() + ": examples of shape " + Arrays.toString(x.exampleShape()) + " do not fit " + model
                        + "'s input '" + input.name() + "' " + Arrays.toString(declared));
            }
        }
    }
}

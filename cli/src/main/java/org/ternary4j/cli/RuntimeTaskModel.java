package org.ternary4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.ternary4j.eval.ort.DeclaredInputs;
import org.ternary4j.eval.ort.InputPlan;
import org.ternary4j.eval.ort.OrtModel;
import org.ternary4j.eval.task.TaskModel;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.runtime.TernaryModel;
import org.ternary4j.runtime.graph.Activations;

/** The project's runtime on a packed file and the ONNX graph it was quantized with, as a task runs a model. */
record RuntimeTaskModel(String label, OnnxModel graph, TernaryModel model, List<OrtModel.Input> inputs) implements TaskModel {
    /** Opens the pair; {@code warnings} hears when the graph is not the one quantize wrote with the codes. */
    static RuntimeTaskModel open(Path onnx, Path packed, int threads, Activations activations, Consumer<String> warnings) throws IOException {
        PackedWeights weights = PackedWeights.read(packed);
        OnnxModel graph = OnnxModel.read(onnx);
        try {
            List<OrtModel.Input> inputs = DeclaredInputs.of(graph, Map.of());
            TernaryModel m = weights.load(graph, new TernaryModel.Options(threads, activations), warnings);
            String label = packed + " (ternary4j runtime on " + onnx.getFileName() + ", activations " + RunCommand.describe(activations, m.activationUse()) + ")";
            return new RuntimeTaskModel(label, graph, m, inputs);
        } catch (IOException | RuntimeException e) {
            graph.close();
            throw e;
        }
    }

    @Override
    public float[][] outputs(Dataset data, int batch) throws IOException {
        List<InputPlan.Binding> bindings = InputPlan.of(label, inputs, data).bindings();
        float[][] out = new float[data.count()][];
        RuntimeBatches.run(model, bindings, model.outputNames().getFirst(), data.count(), batch, out, null);
        return out;
    }

    @Override
    public void close() throws IOException {
        try (graph) {
            model.close();
        }
    }
}

package org.ternary4j.eval.task;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.ternary4j.eval.ort.Evaluator;
import org.ternary4j.eval.ort.OrtModel;
import org.ternary4j.formats.data.Dataset;

/**
 * A model as a task runs it: the inputs it declares and each example's output. ONNX Runtime on an
 * ONNX file ({@link OnnxRuntime}), or the project's own runtime on packed weights (the command
 * line's adapter, which this module does not depend on), so one task is measured the same way on
 * either engine.
 */
public interface TaskModel extends AutoCloseable {
    /** How results and messages name the model. */
    String label();

    /** The inputs as the model declares them, in its order. */
    List<OrtModel.Input> inputs();

    /** Each example's output (the model's first), flattened, in example order; batches of {@code batch} where the model's batch is free. */
    float[][] outputs(Dataset data, int batch) throws IOException;

    @Override
    void close() throws IOException;

    /** ONNX Runtime on {@code file} with {@code threads} intra-op threads. */
    static TaskModel onnxRuntime(Path file, int threads) throws IOException {
        return new OnnxRuntime(OrtModel.open(file, threads, null));
    }

    /** ONNX Runtime's session on one model file. */
    record OnnxRuntime(OrtModel model) implements TaskModel {
        @Override
        public String label() {
            return model.file().toString();
        }

        @Override
        public List<OrtModel.Input> inputs() {
            return model.inputs();
        }

        @Override
        public float[][] outputs(Dataset data, int batch) throws IOException {
            return Evaluator.outputs(model, data, batch);
        }

        @Override
        public void close() throws IOException {
            model.close();
        }
    }
}

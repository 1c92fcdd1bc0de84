package org.ternary4j.eval.ort;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ternary4j.formats.onnx.OnnxModel;

/**
 * An ONNX model opened in ONNX Runtime on the CPU with a fixed thread count, sequential execution
 * and deterministic kernels, so that the same inputs give the same outputs on every run.
 */
public final class OrtModel implements AutoCloseable {

    /** A model input as declared: name, element type, shape (−1 for a dynamic dimension). */
    public record Input(String name, OnnxJavaType type, long[] shape) {
        @Override
        public String toString() {
            return "'" + name + "' " + type + Arrays.toString(shape);
        }
    }

    private final Path file;
    private final OrtSession session;
    private final List<Input> inputs;
    private final String output;

    private OrtModel(Path file, OrtSession session, List<Input> inputs, String output) {
        this.file = file;
        this.session = session;
        this.inputs = inputs;
        this.output = output;
    }

    /**
     * Opens {@code file}; {@code threads} intra-op threads (≥ 1); {@code outputName} picks the
     * output to score (null: the first declared output).
     */
    public static OrtModel open(Path file, int threads, String outputName) throws IOException {
        return open(file, threads, outputName, Map.of());
    }

    /**
     * As {@link #open(Path, int, String)}, with symbolic dimensions fixed by name (ONNX
     * {@code dim_param}, e.g. {@code sequence_length=32}); the model then declares those sizes.
     */
    public static OrtModel open(Path file, int threads, String outputName, Map<String, Long> dims) throws IOException {
        return open(file, threads, outputName, dims, Map.of());
    }

    /**
     * As {@link #open(Path, int, String, Map)}, with ONNX Runtime session configuration entries
     * added, e.g. {@link OrtSessions#LUT_GEMM} for the table-lookup kernel of 2-bit MatMulNBits.
     */
    public static OrtModel open(Path file, int threads, String outputName, Map<String, Long> dims, Map<String, String> config) throws IOException {
        if (threads < 1) throw new IllegalArgumentException("threads must be ≥ 1, got " + threads);
        if (!Files.isRegularFile(file)) throw new IOException(file + ": no such file");
        if (!dims.isEmpty()) {
            try (OnnxModel declared = OnnxModel.read(file)) {
                DeclaredInputs.requireDeclared(declared, dims);
            }
        }
        OrtNatives.prepare();
        OrtSession session = null;
        try (OrtSession.SessionOptions options = OrtSessions.deterministic(threads)) {
            DeclaredInputs.requirePositive(dims);
            for (var d : dims.entrySet()) options.setSymbolicDimensionValue(d.getKey(), d.getValue());
            for (var c : config.entrySet()) options.addConfigEntry(c.getKey(), c.getValue());
            session = OrtSessions.environment().createSession(file.toString(), options);
            List<Input> inputs = OrtSessions.inputs(session, file);
            Map<String, NodeInfo> outputs = session.getOutputInfo();
            String output = outputName != null ? outputName : outputs.keySet().iterator().next();
            if (!outputs.containsKey(output)) {
                throw new IOException(file + ": no output '" + output + "' (outputs: " + String.join(", ", outputs.keySet()) + ")");
            }
            return new OrtModel(file, session, inputs, output);
        } catch (OrtException e) {
            closeQuietly(session);
            throw new IOException(file + ": ONNX Runtime cannot load the model: " + OrtSessions.firstLine(e.getMessage()));
        } catch (IOException | RuntimeException e) {
            closeQuietly(session);
            throw e;
        }
    }

    /** The model file, which every message about the model names. */
    public Path file() {
        return file;
    }

    /** The inputs as the model declares them, in its order, with the symbolic sizes fixed at open. */
    public List<Input> inputs() {
        return inputs;
    }

    /** The output that is scored: the one named at {@link #open}, else the first declared. */
    public String outputName() {
        return output;
    }

    /**
     * Runs one batch and returns the scored output as floats in C order with its actual shape.
     * The caller keeps ownership of the input tensors.
     */
    Output run(Map<String, OnnxTensor> feeds) throws IOException {
        try (OrtSession.Result result = session.run(feeds, Set.of(output))) {
            OnnxValue v = result.get(output).orElseThrow();
            if (!(v instanceof OnnxTensor t)) throw new IOException(file + ": output '" + output + "' is a " + v.getType() + ", not a tensor");
            return new Output(t.getInfo().getShape(), Tensors.toFloats(t, file + ": output '" + output + "'"));
        } catch (OrtException e) {
            throw new IOException(file + ": ONNX Runtime failed: " + OrtSessions.firstLine(e.getMessage()));
        }
    }

    record Output(long[] shape, float[] values) {}

    private static void closeQuietly(OrtSession s) {
        if (s == null) return;
        try {
            s.close();
        } catch (OrtException ignored) {
            // already failing; the first error is the one to report
        }
    }

    @Override
    public void close() throws IOException {
        OrtSessions.close(session, file);
    }
}

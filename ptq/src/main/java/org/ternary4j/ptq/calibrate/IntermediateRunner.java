package org.ternary4j.ptq.calibrate;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ternary4j.eval.ort.InputPlan;
import org.ternary4j.eval.ort.OrtModel;
import org.ternary4j.eval.ort.OrtNatives;
import org.ternary4j.eval.ort.OrtSessions;
import org.ternary4j.formats.data.Dataset;

/**
 * Runs an in-memory copy of a model in ONNX Runtime (one thread, sequential, deterministic
 * kernels) with some intermediate tensors made graph outputs, and hands them over batch by batch.
 */
final class IntermediateRunner implements AutoCloseable {
    static final int BATCH = 256;

    /** One fetched tensor: values in C order and shape. */
    record Tensor(long[] shape, float[] values) {}

    interface Sink {
        void accept(Map<String, Tensor> batch) throws IOException;
    }

    /** Receives one batch's tensors and which examples they are. */
    interface ExampleSink {
        void accept(Map<String, Tensor> batch, Examples examples) throws IOException;
    }

    private final String file;
    private final OrtSession session;
    private final List<OrtModel.Input> inputs;

    private IntermediateRunner(String file, OrtSession session, List<OrtModel.Input> inputs) {
        this.file = file;
        this.session = session;
        this.inputs = inputs;
    }

    /** A session for the serialized {@code model}, whose graph outputs include every tensor {@link #run} will fetch. */
    static IntermediateRunner open(byte[] model, String file) throws IOException {
        OrtNatives.prepare();
        OrtSession s = null;
        try (OrtSession.SessionOptions o = OrtSessions.deterministic(1)) {
            s = OrtSessions.environment().createSession(model, o);
            return new IntermediateRunner(file, s, OrtSessions.inputs(s, file));
        } catch (OrtException e) {
            throw new IOException(file + ": ONNX Runtime cannot load the model for calibration: " + OrtSessions.firstLine(e.getMessage()));
        } catch (IOException | RuntimeException e) {
            if (s != null) OrtSessions.close(s, file);
            throw e;
        }
    }

    /**
     * Feeds {@code data} (its arrays matched to the model's inputs by name, or its one unnamed array
     * to the only input) in batches of {@value #BATCH} and passes the requested tensors of each batch to {@code sink}.
     */
    void run(Dataset data, Set<String> outputs, Sink sink) throws IOException {
        run(data, outputs, BATCH, sink);
    }

    /** As {@link #run(Dataset, Set, Sink)} in batches of {@code wanted} examples (unless the model fixes its batch size). */
    void run(Dataset data, Set<String> outputs, int wanted, Sink sink) throws IOException {
        batches(data, outputs, wanted, (batch, examples) -> sink.accept(batch));
    }

    /**
     * As {@link #run(Dataset, Set, Sink)}, in the batches of {@code cut} (each fed its examples with
     * the token inputs cut) unless it is null; {@code sink} learns each batch's examples.
     */
    void run(Dataset data, Set<String> outputs, TokenCut cut, ExampleSink sink) throws IOException {
        if (cut == null) {
            batches(data, outputs, BATCH, sink);
            return;
        }
        for (Examples b : cut.batches()) batches(cut.batch(data, b), outputs, b.count(), (batch, all) -> sink.accept(batch, b));
    }

    private void batches(Dataset data, Set<String> outputs, int wanted, ExampleSink sink) throws IOException {
        InputPlan plan = InputPlan.of(file, inputs, data);
        int batch = plan.batchSize(wanted);
        if (batch != wanted && data.count() % batch != 0) {
            // Padding a fixed batch repeats an example, which would weigh it twice in the statistics.
            throw new IllegalArgumentException(data.source() + ": " + data.count() + " calibration examples do not fill the model's fixed batch of "
                    + batch + " (" + file + "); give a multiple of " + batch);
        }
        OrtEnvironment env = OrtSessions.environment();
        for (int from = 0; from < data.count(); from += batch) {
            int to = Math.min(data.count(), from + batch);
            Map<String, OnnxTensor> feeds = null;
            try {
                feeds = plan.tensors(env, from, to, batch);
                try (OrtSession.Result r = session.run(feeds, outputs)) {
                    Map<String, Tensor> got = new LinkedHashMap<>();
                    for (String name : outputs) {
                        OnnxValue v = r.get(name).orElseThrow();
                        if (!(v instanceof OnnxTensor ot)) throw new IOException(file + ": '" + name + "' is not a tensor");
                        FloatBuffer b = ot.getFloatBuffer();
                        if (b == null) throw new IOException(file + ": '" + name + "' is " + ot.getInfo().type + ", calibration reads FLOAT tensors");
                        float[] vals = new float[b.remaining()];
                        b.get(vals);
                        got.put(name, new Tensor(ot.getInfo().getShape(), vals));
                    }
                    sink.accept(got, Examples.range(from, to - from));
                }
            } catch (OrtException e) {
                throw new IOException(file + ": ONNX Runtime failed during calibration: " + OrtSessions.firstLine(e.getMessage()));
            } finally {
                if (feeds != null) feeds.values().forEach(OnnxTensor::close);
            }
        }
    }

    @Override
    public void close() throws IOException {
        OrtSessions.close(session, file);
    }
}

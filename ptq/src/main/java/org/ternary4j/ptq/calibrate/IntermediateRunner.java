package org.ternary4j.ptq.calibrate;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.eval.ort.OrtNatives;
import org.ternary4j.eval.ort.OrtSessions;

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

    private final String file;
    private final OrtSession session;
    private final String inputName;
    private final long[] declared;

    private IntermediateRunner(String file, OrtSession session, String inputName, long[] declared) {
        this.file = file;
        this.session = session;
        this.inputName = inputName;
        this.declared = declared;
    }

    /** A session for the serialized {@code model}, whose graph outputs include every tensor {@link #run} will fetch. */
    static IntermediateRunner open(byte[] model, String file) throws IOException {
        OrtNatives.prepare();
        try (OrtSession.SessionOptions o = OrtSessions.deterministic(1)) {
            OrtSession s = OrtSessions.environment().createSession(model, o);
            Map<String, NodeInfo> in = s.getInputInfo();
            if (in.size() != 1) {
                s.close();
                throw new IllegalArgumentException(file + ": calibration supports models with one input, this one has " + in.size());
            }
            NodeInfo only = in.values().iterator().next();
            if (!(only.getInfo() instanceof TensorInfo t) || t.type != ai.onnxruntime.OnnxJavaType.FLOAT) {
                s.close();
                throw new IllegalArgumentException(file + ": calibration needs a FLOAT tensor input, '" + only.getName() + "' is " + only.getInfo());
            }
            return new IntermediateRunner(file, s, only.getName(), t.getShape());
        } catch (OrtException e) {
            throw new IOException(file + ": ONNX Runtime cannot load the model for calibration: " + OrtSessions.firstLine(e.getMessage()));
        }
    }

    /** Feeds {@code x} in batches of {@value #BATCH} and passes the requested tensors of each batch to {@code sink}. */
    void run(NdArray x, Set<String> outputs, Sink sink) throws IOException {
        OrtEnvironment env = OrtSessions.environment();
        for (int from = 0; from < x.count(); from += BATCH) {
            NdArray part = x.slice(from, Math.min(x.count(), from + BATCH));
            try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(part.data()), shapeFor(part));
                 OrtSession.Result r = session.run(Map.of(inputName, t), outputs)) {
                Map<String, Tensor> got = new LinkedHashMap<>();
                for (String name : outputs) {
                    OnnxValue v = r.get(name).orElseThrow();
                    if (!(v instanceof OnnxTensor ot)) throw new IOException(file + ": '" + name + "' is not a tensor");
                    FloatBuffer b = ot.getFloatBuffer();
                    float[] vals = new float[b.remaining()];
                    b.get(vals);
                    got.put(name, new Tensor(ot.getInfo().getShape(), vals));
                }
                sink.accept(got);
            } catch (OrtException e) {
                throw new IOException(file + ": ONNX Runtime failed during calibration: " + OrtSessions.firstLine(e.getMessage()));
            }
        }
    }

    /** The data's shape, or the declared one with the batch filled in when only the per-example layout differs (e.g. [N, 784]). */
    private long[] shapeFor(NdArray part) {
        long[] s = Arrays.stream(part.shape()).asLongStream().toArray();
        if (declared.length == s.length || declared.length == 0) return s;
        long per = 1;
        for (int i = 1; i < declared.length; i++) per *= declared[i];
        if (per != part.exampleSize()) {
            throw new IllegalArgumentException(file + ": calibration examples of shape " + Arrays.toString(part.exampleShape())
                    + " do not fit the input's " + Arrays.toString(declared));
        }
        long[] out = declared.clone();
        out[0] = part.count();
        return out;
    }

    @Override
    public void close() throws IOException {
        OrtSessions.close(session, file);
    }
}

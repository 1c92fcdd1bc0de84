package org.ternary4j.ptq.calibrate;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ternary4j.eval.ort.OrtNatives;
import org.ternary4j.eval.ort.OrtSessions;
import org.ternary4j.formats.onnx.ElementType;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.ValueInfo;

/**
 * One stretch of a model ({@link Stretches}) in ONNX Runtime, one thread and deterministic
 * kernels, fed with the values an earlier stretch computed; {@link Values} holds one batch's
 * values at a cut in ONNX Runtime's memory, so they pass from stretch to stretch uncopied.
 */
final class StretchRun implements AutoCloseable {
    private final String file;
    private final OrtSession session;
    private final List<String> inputs;
    private final Set<String> outputs;

    private StretchRun(String file, OrtSession session, List<String> inputs, Set<String> outputs) {
        this.file = file;
        this.session = session;
        this.inputs = inputs;
        this.outputs = outputs;
    }

    /**
     * The stretch of {@code model} that computes {@code outputs} from the values typed in {@code
     * types}, with {@code changed} in place of those of its constants they name.
     */
    static StretchRun open(OnnxModel model, Map<String, ElementType> types, List<String> outputs, Map<String, float[]> changed, String file)
            throws IOException {
        OnnxModel part = model.slice(types, outputs);
        Map<String, float[]> own = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : changed.entrySet()) if (part.graph().constant(e.getKey()).isPresent()) own.put(e.getKey(), e.getValue());
        if (!own.isEmpty()) part = part.withFloats(own);
        List<String> inputs = part.graph().inputs().stream().map(ValueInfo::name).toList();
        OrtNatives.prepare();
        try (OrtSession.SessionOptions o = OrtSessions.deterministic(1)) {
            return new StretchRun(file, OrtSessions.environment().createSession(part.toBytes(), o), inputs, new LinkedHashSet<>(outputs));
        } catch (OrtException e) {
            throw new IOException(file + ": ONNX Runtime cannot load part of the model for calibration: " + OrtSessions.firstLine(e.getMessage()));
        }
    }

    @Override
    public void close() throws IOException {
        OrtSessions.close(session, file);
    }

    /** A tensor's shape and values as floats (calibrated layers read FLOAT inputs). */
    static IntermediateRunner.Tensor floats(OnnxTensor t, String name, String file) throws IOException {
        FloatBuffer b = t.getFloatBuffer();
        if (b == null) throw new IOException(file + ": '" + name + "' is " + t.getInfo().type + ", calibration reads FLOAT layer inputs");
        float[] v = new float[b.remaining()];
        b.get(v);
        return new IntermediateRunner.Tensor(t.getInfo().getShape(), v);
    }

    /**
     * One batch of calibration examples ({@code first}: the index of its first example, {@code
     * count}: how many) at one cut: its values by name. Values are shared between the cuts (and the
     * models) they pass through unchanged; the native memory behind them is released when the last
     * {@code Values} holding it closes.
     */
    static final class Values implements AutoCloseable {
        static final int PART = 64;
        private final int first;
        private final int count;
        private final Map<String, Held> held;

        private record Held(OnnxTensor tensor, Owner owner) {}

        /** What releases a group of tensors (one run's result, or one tensor made here) once nothing holds any of them. */
        private static final class Owner {
            private final AutoCloseable resource;
            private int refs;

            Owner(AutoCloseable resource) {
                this.resource = resource;
            }

            void release() {
                if (--refs > 0) return;
                try {
                    resource.close();
                } catch (Exception e) {
                    throw new IllegalStateException("cannot release ONNX Runtime memory: " + e.getMessage(), e);
                }
            }
        }

        private Values(int first, int count, Map<String, Held> held) {
            this.first = first;
            this.count = count;
            this.held = held;
        }

        /**
         * A batch's fetched values (FLOAT) in parts of at most {@value #PART} examples: a fresh
         * session's first runs pay for all the memory they touch, in proportion to the batch.
         */
        static List<Values> of(int first, Map<String, IntermediateRunner.Tensor> batch, String file) throws IOException {
            int n = -1;
            boolean batched = true;
            for (IntermediateRunner.Tensor t : batch.values()) {
                if (t.shape().length == 0) batched = false;
                else if (n < 0) n = (int) t.shape()[0];
                else if (t.shape()[0] != n) batched = false;
            }
            if (n < 0) throw new IllegalArgumentException(file + ": nothing to calibrate on at the first cut");
            int part = batched ? PART : n;
            List<Values> out = new ArrayList<>();
            try {
                for (int from = 0; from < n; from += part) out.add(part(first, from, Math.min(n, from + part), n, batch, file));
            } catch (IOException | RuntimeException e) {
                out.forEach(Values::close);
                throw e;
            }
            return out;
        }

        private static Values part(int first, int from, int to, int n, Map<String, IntermediateRunner.Tensor> batch, String file) throws IOException {
            Map<String, Held> held = new LinkedHashMap<>();
            try {
                for (Map.Entry<String, IntermediateRunner.Tensor> e : batch.entrySet()) {
                    long[] shape = e.getValue().shape().clone();
                    float[] v = e.getValue().values();
                    int per = shape.length == 0 || n == 0 ? v.length : v.length / n;
                    int lo = to - from == n ? 0 : from * per, len = to - from == n ? v.length : (to - from) * per;
                    if (shape.length > 0 && to - from != n) shape[0] = to - from;
                    ByteBuffer b = ByteBuffer.allocate(len * Float.BYTES).order(ByteOrder.nativeOrder());
                    b.asFloatBuffer().put(v, lo, len);
                    Held h = own(b, shape, ai.onnxruntime.OnnxJavaType.FLOAT);
                    h.owner().refs = 1;
                    held.put(e.getKey(), h);
                }
            } catch (OrtException e) {
                held.values().forEach(h -> h.owner().release());
                throw new IOException(file + ": ONNX Runtime cannot take calibration values: " + OrtSessions.firstLine(e.getMessage()));
            }
            return new Values(first + from, to - from, held);
        }

        int first() {
            return first;
        }

        int count() {
            return count;
        }

        OnnxTensor get(String name) {
            Held h = held.get(name);
            if (h == null) throw new IllegalStateException("no value '" + name + "' at this cut");
            return h.tensor();
        }

        /** Element types of the values, for declaring a stretch's inputs. */
        Map<String, ElementType> types() {
            Map<String, ElementType> out = new LinkedHashMap<>();
            held.forEach((n, h) -> out.put(n, type(n, h.tensor())));
            return out;
        }

        private static ElementType type(String name, OnnxTensor t) {
            String ort = t.getInfo().onnxType.name(); // ONNX_TENSOR_ELEMENT_DATA_TYPE_<ONNX name>
            String onnx = ort.substring(ort.lastIndexOf("_TYPE_") + "_TYPE_".length());
            for (ElementType e : ElementType.values()) if (e.name().equals(onnx)) return e;
            throw new IllegalArgumentException("calibration cannot carry '" + name + "' of type " + onnx);
        }

        /**
         * Runs {@code stretch} (null: none) on these values and gives the next cut's: {@code next} names them,
         * each computed by the stretch or passed through from here; {@code extras} sees the
         * stretch's whole result first. These values stay open.
         */
        Values step(StretchRun stretch, Set<String> next, Extras extras) throws IOException {
            if (stretch == null) return keep(next);
            Map<String, OnnxTensor> feed = new LinkedHashMap<>();
            for (String in : stretch.inputs) feed.put(in, get(in));
            Map<String, Held> out = new LinkedHashMap<>();
            try (OrtSession.Result r = stretch.session.run(feed, stretch.outputs)) {
                Map<String, OnnxTensor> computed = new LinkedHashMap<>();
                for (String name : stretch.outputs) {
                    OnnxValue v = r.get(name).orElseThrow();
                    if (!(v instanceof OnnxTensor t)) throw new IOException(stretch.file + ": '" + name + "' is not a tensor");
                    computed.put(name, t);
                }
                if (extras != null) extras.accept(computed);
                for (String name : next) {
                    Held h = held.get(name);
                    if (h == null) {
                        OnnxTensor t = computed.get(name);
                        if (t == null) throw new IllegalStateException("the stretch does not compute '" + name + "'");
                        h = copy(t);
                    }
                    h.owner().refs++;
                    out.put(name, h);
                }
                return new Values(first, count, out);
            } catch (OrtException e) {
                out.values().forEach(h -> h.owner().release());
                throw new IOException(stretch.file + ": ONNX Runtime failed during calibration: " + OrtSessions.firstLine(e.getMessage()));
            } catch (IOException | RuntimeException e) {
                out.values().forEach(h -> h.owner().release());
                throw e;
            }
        }

        /**
         * A copy in memory released as soon as nothing holds it: the run's own memory then goes back
         * to its session at once, and no session's arena outlives the stretch.
         */
        private static Held copy(OnnxTensor t) throws OrtException {
            return own(t.getByteBuffer(), t.getInfo().getShape(), t.getInfo().type);
        }

        private static Held own(ByteBuffer src, long[] shape, ai.onnxruntime.OnnxJavaType type) throws OrtException {
            Arena arena = Arena.ofShared();
            ByteBuffer dst = arena.allocate(Math.max(1, src.remaining()), 64).asByteBuffer().order(ByteOrder.nativeOrder());
            dst.put(src).flip();
            OnnxTensor own;
            try {
                own = OnnxTensor.createTensor(OrtSessions.environment(), dst, shape, type);
            } catch (OrtException | RuntimeException e) {
                arena.close();
                throw e;
            }
            return new Held(own, new Owner(() -> {
                own.close();
                arena.close();
            }));
        }

        /** The values of {@code next}, all of them passed through from here. */
        private Values keep(Set<String> next) {
            Map<String, Held> out = new LinkedHashMap<>();
            for (String name : next) {
                Held h = held.get(name);
                if (h == null) throw new IllegalStateException("no value '" + name + "' at this cut");
                h.owner().refs++;
                out.put(name, h);
            }
            return new Values(first, count, out);
        }

        @Override
        public void close() {
            held.values().forEach(h -> h.owner().release());
            held.clear();
        }
    }

    /** Receives a stretch's computed values of one batch. */
    interface Extras {
        void accept(Map<String, OnnxTensor> computed) throws IOException;
    }
}

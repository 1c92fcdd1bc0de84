package org.ternary4j.ptq.calibrate;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
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
    /** The outputs' shapes and types for given input shapes, once a run has shown them: later runs write straight into values of their own. */
    private final Map<List<List<Long>>, Map<String, Layout>> layouts = new java.util.HashMap<>();

    private record Layout(long[] shape, ai.onnxruntime.OnnxJavaType type, long bytes) {}

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

    /** The values the stretch reads. */
    List<String> inputs() {
        return inputs;
    }

    @Override
    public void close() throws IOException {
        OrtSessions.close(session, file);
    }

    /** A tensor's shape and values as floats (calibrated layers read FLOAT inputs), copied. */
    static IntermediateRunner.Tensor floats(OnnxTensor t, String name, String file) throws IOException {
        checkFloat(t, name, file);
        FloatBuffer b = t.getFloatBuffer();
        float[] v = new float[b.remaining()];
        b.get(v);
        return new IntermediateRunner.Tensor(t.getInfo().getShape(), v);
    }

    private static void checkFloat(OnnxTensor t, String name, String file) throws IOException {
        if (t.getInfo().type != ai.onnxruntime.OnnxJavaType.FLOAT) {
            throw new IOException(file + ": '" + name + "' is " + t.getInfo().type + ", calibration reads FLOAT layer inputs");
        }
    }

    /** A FLOAT tensor's shape and values (read at absolute positions). */
    record View(long[] shape, FloatBuffer values) {}

    /**
     * One batch of calibration examples ({@link Examples}: which, and at how many token positions)
     * at one cut: its values by name. Values are shared between the cuts (and the
     * models) they pass through unchanged; the native memory behind them is released when the last
     * {@code Values} holding it closes.
     */
    static final class Values implements AutoCloseable {
        static final int PART = 64;
        private static final NativePool POOL = new NativePool();
        private final Examples examples;
        private final Map<String, Held> held;

        /** A value and the native memory it lies in (read without copying). */
        private record Held(OnnxTensor tensor, Owner owner, ByteBuffer data) {
            View view(String name, String file) throws IOException {
                checkFloat(tensor, name, file);
                return new View(tensor.getInfo().getShape(), data.duplicate().order(ByteOrder.nativeOrder()).clear().asFloatBuffer());
            }
        }

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

        private Values(Examples examples, Map<String, Held> held) {
            this.examples = examples;
            this.held = held;
        }

        /**
         * A batch's fetched values (FLOAT) in parts of at most {@value #PART} examples: a fresh
         * session's first runs pay for all the memory they touch, in proportion to the batch.
         */
        static List<Values> of(int first, Map<String, IntermediateRunner.Tensor> batch, String file) throws IOException {
            int n = -1;
            for (IntermediateRunner.Tensor t : batch.values()) {
                if (t.shape().length > 0) {
                    n = (int) t.shape()[0];
                    break;
                }
            }
            if (n < 0) throw new IllegalArgumentException(file + ": nothing to calibrate on at the first cut");
            return of(Examples.range(first, n), batch, file);
        }

        /** As {@link #of(int, Map, String)} for a batch of the examples {@code examples}. */
        static List<Values> of(Examples examples, Map<String, IntermediateRunner.Tensor> batch, String file) throws IOException {
            int n = examples.count();
            boolean batched = true;
            for (IntermediateRunner.Tensor t : batch.values()) if (t.shape().length == 0 || t.shape()[0] != n) batched = false;
            int part = batched ? PART : n;
            List<Values> out = new ArrayList<>();
            try {
                for (int from = 0; from < n; from += part) out.add(part(examples, from, Math.min(n, from + part), n, batch, file));
            } catch (IOException | RuntimeException e) {
                out.forEach(Values::close);
                throw e;
            }
            return out;
        }

        private static Values part(Examples examples, int from, int to, int n, Map<String, IntermediateRunner.Tensor> batch, String file) throws IOException {
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
            return new Values(examples.slice(from, to), held);
        }

        Examples examples() {
            return examples;
        }

        int count() {
            return examples.count();
        }

        Set<String> names() {
            return held.keySet();
        }

        long[] shape(String name) {
            return held(name).tensor().getInfo().getShape();
        }

        ai.onnxruntime.OnnxJavaType javaType(String name) {
            return held(name).tensor().getInfo().type;
        }

        ElementType elementType(String name) {
            return type(name, held(name).tensor());
        }

        /** The value's bytes in native order, uncopied; valid while these values are open. */
        ByteBuffer bytes(String name) {
            return held(name).data().duplicate().clear();
        }

        /** A value kept elsewhere: its shape, type, size and what fills memory of that size with it. */
        record Stored(long[] shape, ai.onnxruntime.OnnxJavaType type, long bytes, Fill fill) {}

        /** A part's values read back into memory of their own (released when these values close). */
        static Values read(Examples examples, Map<String, Stored> stored, String file) throws IOException {
            Map<String, Held> held = new LinkedHashMap<>();
            try {
                for (Map.Entry<String, Stored> e : stored.entrySet()) {
                    Stored st = e.getValue();
                    Held h = wrap(POOL.take(st.bytes()), st.shape(), st.type(), st.fill());
                    h.owner().refs = 1;
                    held.put(e.getKey(), h);
                }
            } catch (OrtException e) {
                held.values().forEach(h -> h.owner().release());
                throw new IOException(file + ": ONNX Runtime cannot take calibration values: " + OrtSessions.firstLine(e.getMessage()));
            } catch (IOException | RuntimeException e) {
                held.values().forEach(h -> h.owner().release());
                throw e;
            }
            return new Values(examples, held);
        }

        /** While a {@link Cut} is open its parts come and go, so the pool keeps idle memory for the next part. */
        static void holdPool() {
            POOL.hold();
        }

        static void unholdPool() {
            POOL.unhold();
        }

        /** Gives the pool's idle memory back now. */
        static void trimPool() {
            POOL.trim();
        }

        OnnxTensor get(String name) {
            return held(name).tensor();
        }

        /** The FLOAT value {@code name}, uncopied; valid while these values are open. */
        View view(String name, String file) throws IOException {
            return held(name).view(name, file);
        }

        private Held held(String name) {
            Held h = held.get(name);
            if (h == null) throw new IllegalStateException("no value '" + name + "' at this cut");
            return h;
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
            List<List<Long>> shapes = shapes(feed);
            Map<String, Layout> layout = stretch.layouts.get(shapes);
            Map<String, Held> pinned = new LinkedHashMap<>(), out = new LinkedHashMap<>();
            try {
                if (layout != null) for (Map.Entry<String, Layout> e : layout.entrySet()) pinned.put(e.getKey(), fresh(e.getValue()));
                Map<String, OnnxTensor> pins = new LinkedHashMap<>();
                pinned.forEach((n, h) -> pins.put(n, h.tensor()));
                try (OrtSession.Result r = pins.isEmpty() ? stretch.session.run(feed, stretch.outputs) : stretch.session.run(feed, pins)) {
                    Map<String, OnnxTensor> computed = new LinkedHashMap<>();
                    for (String name : stretch.outputs) {
                        OnnxValue v = pins.isEmpty() ? r.get(name).orElseThrow() : pins.get(name);
                        if (!(v instanceof OnnxTensor t)) throw new IOException(stretch.file + ": '" + name + "' is not a tensor");
                        computed.put(name, t);
                    }
                    if (layout == null) {
                        stretch.layouts.put(shapes, layoutOf(computed));
                        // The run's own outputs, copied once into memory of ours, and then used as if they had been written there.
                        for (var e : computed.entrySet()) {
                            boolean float32 = e.getValue().getInfo().type == ai.onnxruntime.OnnxJavaType.FLOAT;
                            if (next.contains(e.getKey()) || extras != null && float32) pinned.put(e.getKey(), copy(e.getValue()));
                        }
                    }
                    if (extras != null) {
                        Map<String, View> views = new LinkedHashMap<>();
                        for (var e : computed.entrySet()) {
                            if (e.getValue().getInfo().type != ai.onnxruntime.OnnxJavaType.FLOAT) continue;
                            views.put(e.getKey(), pinned.get(e.getKey()).view(e.getKey(), stretch.file));
                        }
                        extras.accept(this, views);
                    }
                    for (String name : next) {
                        Held h = held.get(name);
                        if (h == null) {
                            h = pinned.remove(name);
                            if (h == null) throw new IllegalStateException("the stretch does not compute '" + name + "'");
                        }
                        h.owner().refs++;
                        out.put(name, h);
                    }
                }
                return new Values(examples, out);
            } catch (OrtException e) {
                out.values().forEach(h -> h.owner().release());
                throw new IOException(stretch.file + ": ONNX Runtime failed during calibration: " + OrtSessions.firstLine(e.getMessage()));
            } catch (IOException | RuntimeException e) {
                out.values().forEach(h -> h.owner().release());
                throw e;
            } finally {
                // Outputs the next cut does not keep (extras) go back at once.
                for (Held h : pinned.values()) {
                    h.owner().refs++;
                    h.owner().release();
                }
            }
        }

        /** The shapes fed, which fix the outputs' (batches of one size differ in their token count once cut). */
        private static List<List<Long>> shapes(Map<String, OnnxTensor> feed) {
            List<List<Long>> out = new ArrayList<>();
            for (OnnxTensor t : feed.values()) out.add(java.util.Arrays.stream(t.getInfo().getShape()).boxed().toList());
            return out;
        }

        private static Map<String, Layout> layoutOf(Map<String, OnnxTensor> computed) {
            Map<String, Layout> out = new LinkedHashMap<>();
            computed.forEach((n, t) -> {
                long elements = 1;
                for (long d : t.getInfo().getShape()) elements *= d;
                out.put(n, new Layout(t.getInfo().getShape(), t.getInfo().type, elements * t.getInfo().type.size));
            });
            return out;
        }

        /** A tensor of our own for a stretch to write its output into. */
        private static Held fresh(Layout l) throws OrtException, IOException {
            return wrap(POOL.take(l.bytes()), l.shape(), l.type(), b -> {});
        }

        /**
         * A copy in memory released as soon as nothing holds it: the run's own memory then goes back
         * to its session at once, and no session's arena outlives the stretch.
         */
        private static Held copy(OnnxTensor t) throws OrtException, IOException {
            return own(t.getByteBuffer(), t.getInfo().getShape(), t.getInfo().type);
        }

        private static Held own(ByteBuffer src, long[] shape, ai.onnxruntime.OnnxJavaType type) throws OrtException, IOException {
            return wrap(POOL.take(src.remaining()), shape, type, dst -> dst.put(src));
        }

        interface Fill {
            void into(ByteBuffer dst) throws IOException;
        }

        private static Held wrap(NativePool.Block block, long[] shape, ai.onnxruntime.OnnxJavaType type, Fill fill) throws OrtException, IOException {
            ByteBuffer dst = block.buffer();
            OnnxTensor own;
            try {
                fill.into(dst);
                dst.clear();
                own = OnnxTensor.createTensor(OrtSessions.environment(), dst, shape, type);
            } catch (OrtException | IOException | RuntimeException e) {
                block.release();
                throw e;
            }
            return new Held(own, new Owner(() -> {
                own.close();
                block.release();
            }), dst);
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
            return new Values(examples, out);
        }

        @Override
        public void close() {
            held.values().forEach(h -> h.owner().release());
            held.clear();
        }
    }

    /** Receives a stretch's computed FLOAT values of one batch, and the values it ran on. */
    interface Extras {
        void accept(Values part, Map<String, View> computed) throws IOException;
    }
}

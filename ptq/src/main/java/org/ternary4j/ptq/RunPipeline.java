package org.ternary4j.ptq;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.ternary4j.core.Ternarizer;
import org.ternary4j.core.grouping.GroupLayout;
import org.ternary4j.core.pack.HalfCodes;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.core.projection.Scales;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.SafetensorsReader;
import org.ternary4j.formats.safetensors.TensorInfo;

/**
 * The streaming core of safetensors quantization. A ternarized tensor is cut into runs of whole
 * groups (about a quarter of a million weights each); worker threads read each run from the input,
 * project, dequantize and encode it while the calling thread writes earlier runs in file order.
 * At most {@code window} runs are in flight, so memory stays bounded whatever the tensor sizes,
 * and reading, projecting and writing overlap, across tensor boundaries too.
 *
 * <p>Runs are submitted in file order ahead of the writer; the writer takes the runs of one
 * tensor after the other with {@link #next}. A tensor the pipeline does not take (see
 * {@link #fits}) is skipped by the submitter and handled by the caller.
 */
final class RunPipeline implements AutoCloseable {
    /**
     * Weights per run, roughly: large enough that a run's work (about a millisecond) dwarfs its
     * hand-over, small enough that the few sets of run buffers stay small: fresh pages cost a
     * fault each, and 2^20 took 10 % more CPU on a 50 M-weight F32 file, none less on 2 GB.
     */
    static final int RUN_ELEMENTS = 1 << 18;
    /** Bounds a run's buffers: a run may need {@link #CODE_ALIGN} whole groups, so larger groups are not streamed. */
    private static final long MAX_RUN = 4L << 20;
    /** Every run but a tensor's last holds a multiple of this many codes, so packed bytes of runs concatenate (2-bit: 4, base-3: 5 per byte). */
    private static final int CODE_ALIGN = 20;

    /** One input tensor to stream: where it is and how it is grouped. */
    record Source(SafetensorsReader reader, TensorInfo info, GroupLayout layout) {}

    /**
     * A processed run in reused buffers (longer than needed): its original and output values (for
     * the metrics), the encoded output bytes, packed codes (when wanted) and their lengths. Give it
     * back with {@link #release} once written.
     */
    record Run(int elements, Buffers buffers, int encodedBytes, int packedBytes, long zeros) {
        /** The encoded output bytes, ready to write. */
        MemorySegment encoded() {
            return buffers.encoded.asSlice(0, encodedBytes);
        }
    }

    /**
     * One run's arrays. A run of a few megabytes allocated fresh is a humongous object for the
     * garbage collector and fresh pages for the kernel; a few sets, passed from worker to writer
     * and back, serve the whole file. 16-bit weights stay 16-bit (in16, out16) except for the one
     * group being projected (group); float ones use w and q. The output bytes are native memory,
     * which the file channel writes without copying them to a buffer of its own first.
     */
    static final class Buffers {
        final int capacity;
        final short[] in16, out16;
        final byte[] codes, packed;
        final MemorySegment encoded;
        private float[] w, q, group;
        private byte[] groupCodes;

        Buffers(int elements) {
            capacity = elements;
            in16 = new short[elements];
            out16 = new short[elements];
            codes = new byte[elements];
            packed = new byte[elements / 4 + 1];
            encoded = Arena.ofAuto().allocate(4L * elements, 64);
        }

        /** The float weights of a run, for F32 input only. */
        float[] w() {
            if (w == null) w = new float[capacity];
            return w;
        }

        /** The float output values of a run, for F32 input only. */
        float[] q() {
            if (q == null) q = new float[capacity];
            return q;
        }

        /** One group's weights as floats, for the projection. */
        float[] group(int n) {
            if (group == null || group.length < n) group = new float[n];
            return group;
        }

        byte[] groupCodes(int n) {
            if (groupCodes == null || groupCodes.length < n) groupCodes = new byte[n];
            return groupCodes;
        }
    }

    /** A tensor in the pipeline: its scales (filled by the runs) and its submitted runs. */
    static final class Stream {
        final Source source;
        final float[] pos, neg;
        final int groups, groupsPerRun, runs;
        final ArrayDeque<Future<Run>> submitted = new ArrayDeque<>();
        int nextToSubmit;

        Stream(Source source, boolean twoScales) {
            this.source = source;
            this.groups = source.layout().groupCount();
            this.pos = new float[groups];
            this.neg = twoScales ? new float[groups] : null;
            int size = source.layout().size(0);
            int unit = CODE_ALIGN / gcd(size, CODE_ALIGN);
            this.groupsPerRun = Math.max(unit, RUN_ELEMENTS / size / unit * unit);
            this.runs = (groups + groupsPerRun - 1) / groupsPerRun;
        }
    }

    private final Ternarizer ternarizer;
    private final Packing packing;
    private final ExecutorService workers;
    private final int window;
    private final List<Source> sources;
    private final Map<Integer, Stream> streams = new HashMap<>();
    private final ConcurrentLinkedQueue<Buffers> spare = new ConcurrentLinkedQueue<>();
    private int submitTensor;
    private int inFlight;

    /**
     * {@code sources} are every tensor of the file in order, null where the pipeline does not
     * take it; {@code packing} null when no packed codes are wanted.
     */
    RunPipeline(Ternarizer ternarizer, Packing packing, int threads, List<Source> sources) {
        this.ternarizer = ternarizer;
        this.packing = packing;
        this.window = 2 * threads + 1;
        this.sources = new ArrayList<>(sources);
        this.workers = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "t4j-quantize");
            t.setDaemon(true);
            return t;
        });
    }

    /** Whether the pipeline takes a tensor with this layout: contiguous groups of one size, a few of which make a run. */
    static boolean fits(GroupLayout layout) {
        if (layout.index() != null || layout.groupCount() < 2) return false;
        int size = layout.size(0);
        if (size < 1 || (long) size * CODE_ALIGN > MAX_RUN) return false;
        for (int g = 1; g < layout.groupCount(); g++) if (layout.size(g) != size) return false;
        return true;
    }

    /** The tensor at {@code index} (which the pipeline takes), its runs submitted or about to be. */
    Stream stream(int index) throws IOException {
        if (sources.get(index) == null) throw new IllegalArgumentException("tensor " + index + " is not streamed");
        topUp();
        return open(index);
    }

    /** The next run of {@code s} in order, once processed; errors of the run's work are rethrown as they were thrown. */
    Run next(Stream s) throws IOException, ExecutionException {
        topUp();
        Future<Run> f = s.submitted.poll();
        if (f == null) throw new IllegalStateException("no run of '" + s.source.info().name() + "' left");
        Run r;
        try {
            r = f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while quantizing '" + s.source.info().name() + "'");
        }
        inFlight--;
        topUp();
        return r;
    }

    /** Hands a written run's buffers back for the next runs. */
    void release(Run r) {
        spare.add(r.buffers());
    }

    /** Spare buffers for n elements, or new ones (a spare set too small is dropped: later runs are mostly as large). */
    private Buffers buffers(int n) {
        Buffers b = spare.poll();
        return b != null && b.capacity >= n ? b : new Buffers(Math.max(n, RUN_ELEMENTS));
    }

    /** Forgets a tensor whose runs have all been taken. */
    void finish(Stream s) {
        streams.values().remove(s);
    }

    private Stream open(int index) throws IOException {
        Stream s = streams.get(index);
        if (s == null) {
            s = new Stream(sources.get(index), ternarizer.projection().twoScales());
            streams.put(index, s);
        }
        return s;
    }

    /** Submits runs in file order until the window is full. */
    private void topUp() throws IOException {
        while (inFlight < window && submitTensor < sources.size()) {
            if (sources.get(submitTensor) == null) {
                submitTensor++;
                continue;
            }
            Stream s = open(submitTensor);
            if (s.nextToSubmit == s.runs) {
                submitTensor++;
                continue;
            }
            int run = s.nextToSubmit++;
            s.submitted.add(workers.submit(() -> process(s, run)));
            inFlight++;
        }
    }

    /**
     * Projects a run group by group: each group's weights are decoded into a buffer that stays in
     * cache while it is projected and its output values and codes are written, instead of passes
     * over the whole run's floats.
     */
    private Run process(Stream s, int run) throws IOException {
        GroupLayout layout = s.source.layout();
        int g0 = run * s.groupsPerRun, g1 = Math.min(s.groups, g0 + s.groupsPerRun);
        int from = layout.starts()[g0], n = layout.starts()[g1] - from, size = layout.size(g0);
        DType dtype = s.source.info().dtype();
        boolean wide = dtype == DType.F32;
        Buffers b = buffers(n);
        float[] group = b.group(size), w = wide ? b.w() : null, q = wide ? b.q() : null;
        byte[] groupCodes = b.groupCodes(size);
        // The input is read into the output's native buffer: it is copied out before any output is written there.
        MemorySegment input = b.encoded.asSlice(0, (long) n * (wide ? 4 : 2));
        s.source.reader().read(s.source.info(), (long) from * (wide ? 4 : 2), input);
        if (wide) MemorySegment.copy(input, SafetensorsReader.F32_LE, 0, w, 0, n);
        else MemorySegment.copy(input, SafetensorsReader.I16_LE, 0, b.in16, 0, n);
        long kept = 0;
        for (int g = g0; g < g1; g++) {
            int at = layout.starts()[g] - from;
            switch (dtype) {
                case F32 -> System.arraycopy(w, at, group, 0, size);
                case BF16 -> HalfCodes.decodeBf16(b.in16, at, size, group);
                case F16 -> decodeF16(b.in16, at, size, group);
                default -> throw new IllegalArgumentException(dtype + " is not a float type");
            }
            Scales sc = ternarizer.projectGroup(group, size, groupCodes, layout.starts()[g]);
            s.pos[g] = sc.pos();
            if (s.neg != null) s.neg[g] = sc.neg();
            // What the output file will hold: each code's value rounded to the output dtype.
            OutputValues values = OutputValues.of(dtype, s.neg == null ? sc.pos() : sc.neg(), sc.pos());
            kept += wide ? values.floats(groupCodes, size, q, at) : values.halves(groupCodes, size, b.out16, at);
            System.arraycopy(groupCodes, 0, b.codes, at, size);
        }
        if (wide) MemorySegment.copy(q, 0, b.encoded, SafetensorsReader.F32_LE, 0, n);
        else MemorySegment.copy(b.out16, 0, b.encoded, SafetensorsReader.I16_LE, 0, n);
        int encoded = n * (wide ? 4 : 2);
        int packed = packing == null ? 0 : packing.packInto(b.codes, n, b.packed);
        return new Run(n, b, encoded, packed, n - kept);
    }

    private static void decodeF16(short[] h, int at, int n, float[] out) {
        for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(h[at + i]);
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    /** Stops the workers and releases every mapping, also after a failure with runs still in flight. */
    @Override
    public void close() {
        workers.shutdownNow();
        try {
            workers.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        streams.clear();
    }
}

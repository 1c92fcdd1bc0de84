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
import org.ternary4j.core.pack.Packing;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.HalfFloats;
import org.ternary4j.formats.safetensors.SafetensorsReader;
import org.ternary4j.formats.safetensors.TensorInfo;

/**
 * The streaming core of safetensors quantization. A ternarized tensor is cut into runs of whole
 * groups (about a million weights each); worker threads read each run from the mapped input,
 * project, dequantize and encode it while the calling thread writes earlier runs in file order.
 * At most {@code window} runs are in flight, so memory stays bounded whatever the tensor sizes,
 * and reading, projecting and writing overlap, across tensor boundaries too.
 *
 * <p>Runs are submitted in file order ahead of the writer; the writer takes the runs of one
 * tensor after the other with {@link #next}. A tensor the pipeline does not take (see
 * {@link #fits}) is skipped by the submitter and handled by the caller.
 */
final class RunPipeline implements AutoCloseable {
    /** Weights per run, roughly: large enough that a run's work dwarfs its hand-over. */
    static final int RUN_ELEMENTS = 1 << 20;
    /** Every run but a tensor's last holds a multiple of this many codes, so packed bytes of runs concatenate (2-bit: 4, base-3: 5 per byte). */
    private static final int CODE_ALIGN = 20;

    /** One input tensor to stream: where it is and how it is grouped. */
    record Source(SafetensorsReader reader, TensorInfo info, GroupLayout layout) {}

    /**
     * A processed run in reused buffers (longer than needed): its original and dequantized values
     * (for the metrics), the encoded output bytes, packed codes (when wanted) and their lengths.
     * Give it back with {@link #release} once written.
     */
    record Run(int elements, Buffers buffers, int encodedBytes, int packedBytes, long zeros) {}

    /**
     * One run's arrays. A run of a few megabytes allocated fresh is a humongous object for the
     * garbage collector and fresh pages for the kernel; a few sets, passed from worker to writer
     * and back, serve the whole file.
     */
    static final class Buffers {
        final float[] w, q;
        final short[] halves;
        final byte[] codes, encoded, packed;

        /** The current group's three values (code −1, 0, +1) as floats and as 16-bit output. */
        final float[] value = new float[3];
        final short[] half = new short[3];

        /**
         * q[i] = value[codes[i] + 1] for i in [from, end); returns how many codes are 0. Apart
         * from the rest of a run's work: a loop of its own is compiled on its own, small and early,
         * instead of C2 compiling (and on-stack replacing) all of process() around it.
         */
        int lookUpFloats(int from, int end) {
            int zeros = 0;
            for (int i = from; i < end; i++) {
                int c = codes[i] + 1;
                q[i] = value[c];
                zeros += c == 1 ? 1 : 0;
            }
            return zeros;
        }

        /**
         * {@link #lookUpFloats} and the 16-bit output halves[i] = half[codes[i] + 1] (copied to
         * bytes in bulk afterwards: storing each one's bytes here cost more until C2 compiled it).
         */
        int lookUpHalves(int from, int end) {
            int zeros = 0;
            for (int i = from; i < end; i++) {
                int c = codes[i] + 1;
                q[i] = value[c];
                halves[i] = half[c];
                zeros += c == 1 ? 1 : 0;
            }
            return zeros;
        }

        Buffers(int elements) {
            w = new float[elements];
            q = new float[elements];
            halves = new short[elements];
            codes = new byte[elements];
            encoded = new byte[elements * 4];
            packed = new byte[elements / 4 + 1];
        }
    }

    /** A tensor in the pipeline: its mapping, its scales (filled by the runs) and its submitted runs. */
    static final class Stream {
        final Source source;
        final Arena arena = Arena.ofShared();
        final MemorySegment bytes;
        final float[] pos, neg;
        final int groups, groupsPerRun, runs;
        final ArrayDeque<Future<Run>> submitted = new ArrayDeque<>();
        int nextToSubmit;

        Stream(Source source, boolean twoScales) throws IOException {
            this.source = source;
            this.bytes = source.reader().map(source.info(), arena);
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
        if (size < 1 || (long) size * CODE_ALIGN > 4L * RUN_ELEMENTS) return false;
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
        return b != null && b.w.length >= n ? b : new Buffers(Math.max(n, RUN_ELEMENTS));
    }

    /** Releases a tensor whose runs have all been taken. */
    void finish(Stream s) {
        s.arena.close();
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

    private Run process(Stream s, int run) {
        GroupLayout layout = s.source.layout();
        int g0 = run * s.groupsPerRun, g1 = Math.min(s.groups, g0 + s.groupsPerRun);
        int from = layout.starts()[g0], n = layout.starts()[g1] - from;
        DType dtype = s.source.info().dtype();
        Buffers b = buffers(n);
        float[] w = b.w;
        byte[] codes = b.codes;
        decode(s.bytes, dtype, from, n, b);
        ternarizer.applyGroups(layout, g0, g1, w, codes, s.pos, s.neg);
        // What the output file will hold: each code's value rounded to the output dtype, and its
        // bytes, looked up per code (three values a group) instead of converted per weight.
        float[] value = b.value;
        short[] half = b.half;
        boolean wide = dtype == DType.F32;
        long zeros = 0;
        for (int g = g0; g < g1; g++) {
            value[0] = HalfFloats.roundTo(dtype, -(s.neg == null ? s.pos[g] : s.neg[g]));
            value[2] = HalfFloats.roundTo(dtype, s.pos[g]);
            for (int c = 0; c < 3; c++) half[c] = dtype == DType.F16 ? Float.floatToFloat16(value[c]) : HalfFloats.floatToBf16(value[c]);
            int start = layout.starts()[g] - from, end = layout.starts()[g + 1] - from;
            zeros += wide ? b.lookUpFloats(start, end) : b.lookUpHalves(start, end);
        }
        MemorySegment encodedBytes = MemorySegment.ofArray(b.encoded);
        if (wide) MemorySegment.copy(b.q, 0, encodedBytes, SafetensorsReader.F32_LE, 0, n);
        else MemorySegment.copy(b.halves, 0, encodedBytes, SafetensorsReader.I16_LE, 0, n);
        int encoded = n * (wide ? 4 : 2);
        int packed = packing == null ? 0 : pack(packing, codes, n, b.packed);
        return new Run(n, b, encoded, packed, zeros);
    }

    /** Packs codes[0…n) into out, as {@link Packing#pack} does; returns the byte count. */
    private static int pack(Packing packing, byte[] codes, int n, byte[] out) {
        return packing == Packing.TWO_BIT ? packTwoBit(codes, n, out) : packBase3(codes, n, out);
    }

    private static int packTwoBit(byte[] codes, int n, byte[] out) {
        int bytes = (n + 3) / 4;
        for (int k = 0; k < bytes; k++) {
            int v = 0;
            for (int j = 0, i = 4 * k; j < 4 && i < n; j++, i++) v |= (codes[i] + 1) << (2 * j);
            out[k] = (byte) v;
        }
        return bytes;
    }

    /** Five codes a byte, the first in the lowest digit; missing codes of the last byte count as 0 (digit 1). */
    private static int packBase3(byte[] codes, int n, byte[] out) {
        int bytes = (n + 4) / 5;
        for (int k = 0; k < bytes; k++) {
            int v = 0;
            for (int j = 4, i = 5 * k + 4; j >= 0; j--, i--) v = v * 3 + (i < n ? codes[i] + 1 : 1);
            out[k] = (byte) v;
        }
        return bytes;
    }

    /** Reads weights from … from+n−1 into b.w: one bulk copy (16-bit ones through b.halves), then a plain conversion loop. */
    private static void decode(MemorySegment bytes, DType dtype, int from, int n, Buffers b) {
        float[] w = b.w;
        switch (dtype) {
            case F32 -> MemorySegment.copy(bytes, SafetensorsReader.F32_LE, 4L * from, w, 0, n);
            case BF16 -> {
                short[] h = b.halves;
                MemorySegment.copy(bytes, SafetensorsReader.I16_LE, 2L * from, h, 0, n);
                for (int i = 0; i < n; i++) w[i] = Float.intBitsToFloat(h[i] << 16);
            }
            case F16 -> {
                short[] h = b.halves;
                MemorySegment.copy(bytes, SafetensorsReader.I16_LE, 2L * from, h, 0, n);
                for (int i = 0; i < n; i++) w[i] = Float.float16ToFloat(h[i]);
            }
            default -> throw new IllegalArgumentException(dtype + " is not a float type");
        }
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
        for (Stream s : streams.values()) s.arena.close();
        streams.clear();
    }
}

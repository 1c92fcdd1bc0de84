package org.ternary4j.ptq;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import org.ternary4j.core.Ternarizer;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.GroupLayout;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.grouping.Shapes;
import org.ternary4j.core.metrics.TensorMetrics;
import org.ternary4j.core.metrics.TensorReport;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.core.projection.GroupPasses;
import org.ternary4j.core.projection.Projection;
import org.ternary4j.formats.AtomicOutput;
import org.ternary4j.formats.packed.PackedEntry;
import org.ternary4j.formats.packed.PackedFormat;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.HalfFloats;
import org.ternary4j.formats.safetensors.ReadLimits;
import org.ternary4j.formats.safetensors.SafetensorsCheckpoint;
import org.ternary4j.formats.safetensors.SafetensorsReader;
import org.ternary4j.formats.safetensors.SafetensorsWriter;
import org.ternary4j.formats.safetensors.TensorInfo;
import org.ternary4j.formats.safetensors.TensorSpec;

/**
 * Post-training ternarization of a safetensors file, in one streaming pass: each tensor is read,
 * ternarized (or copied), and written to the dequantized output and, optionally, the packed
 * output, before the next is read. The dequantized file, the packed file and the JSON report
 * become visible together, only once every tensor has succeeded.
 *
 * <pre>{@code
 * QuantizeReport r = SafetensorsQuantization.run(SafetensorsQuantization.Request
 *         .of(in, out, Projections.parse("tnt"), Grouping.parse("row"))
 *         .withPacked(packed).withReport(json));
 * }</pre>
 */
public final class SafetensorsQuantization {

    /**
     * What to ternarize and where the results go. {@code packed} and {@code report} are optional
     * (null); {@code allTensors} also ternarizes float tensors of rank &lt; 2 (biases, norms).
     */
    public record Request(Path input, Path output, Projection method, Grouping grouping, Packing packing, Path packed, Path report,
                          boolean allTensors, int threads, ReadLimits limits, Selection selection) {
        public Request {
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(output, "output");
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(grouping, "grouping");
            Objects.requireNonNull(packing, "packing");
            Objects.requireNonNull(limits, "limits");
            Objects.requireNonNull(selection, "selection");
            if (threads < 1) throw new IllegalArgumentException("threads must be ≥ 1, got " + threads);
        }

        /** Base-3 packing, rank ≥ 2 tensors only, one thread per processor, default read limits, no packed file or report. */
        public static Request of(Path input, Path output, Projection method, Grouping grouping) {
            return new Request(input, output, method, grouping, Packing.BASE3, null, null, false, Runtime.getRuntime().availableProcessors(),
                    ReadLimits.DEFAULT, Selection.DEFAULT);
        }

        public Request withPacking(Packing p) {
            return new Request(input, output, method, grouping, p, packed, report, allTensors, threads, limits, selection);
        }

        public Request withPacked(Path p) {
            return new Request(input, output, method, grouping, packing, p, report, allTensors, threads, limits, selection);
        }

        public Request withReport(Path r) {
            return new Request(input, output, method, grouping, packing, packed, r, allTensors, threads, limits, selection);
        }

        public Request withAllTensors(boolean all) {
            return new Request(input, output, method, grouping, packing, packed, report, all, threads, limits, selection);
        }

        public Request withThreads(int n) {
            return new Request(input, output, method, grouping, packing, packed, report, allTensors, n, limits, selection);
        }

        public Request withSelection(Selection v) {
            return new Request(input, output, method, grouping, packing, packed, report, allTensors, threads, limits, v);
        }

        public Request withLimits(ReadLimits l) {
            return new Request(input, output, method, grouping, packing, packed, report, allTensors, threads, l, selection);
        }
    }

    /** Told the size of the work once it is planned, then each tensor's element count as it is done. */
    public interface Monitor {
        Monitor NONE = new Monitor() {};

        default void start(long elements, int tensors) {}

        default void done(long elements) {}

        /**
         * Told each ternarized tensor's original values (canonical layout) and result, before they
         * are released; must not keep {@code w}. Called only for a monitor that
         * {@link #wantsWholeTensors()}: holding whole tensors costs the streaming of large ones.
         */
        default void ternarized(String name, float[] w, TernaryTensor t) {}

        /** Whether {@link #ternarized} is to be called; then every ternarized tensor is held whole once. */
        default boolean wantsWholeTensors() {
            return false;
        }
    }

    /** One input tensor and, when it is not ternarized, why (null: ternarized). */
    private record TensorPlan(SafetensorsCheckpoint.Entry entry, String keptWhy) {
        TensorInfo tensor() {
            return entry.info();
        }

        boolean ternarize() {
            return keptWhy == null;
        }
    }

    /** A float tensor left in full precision and why ({@link Selection}, or a grouping that does not apply to it). */
    public record Kept(String name, String why) {}

    /** The report, the float tensors kept in full precision, and the files written. */
    public record Outcome(QuantizeReport report, List<Kept> kept, List<Path> files) {

        /** The kept tensors grouped by reason, a few names each. */
        public void printKept(PrintWriter out) {
            Map<String, List<String>> byWhy = new LinkedHashMap<>();
            for (Kept k : kept) byWhy.computeIfAbsent(k.why(), w -> new ArrayList<>()).add(k.name());
            for (var e : byWhy.entrySet()) {
                List<String> names = e.getValue();
                out.println("kept in full precision (" + e.getKey() + "): " + names.size() + " tensor" + (names.size() == 1 ? "" : "s") + ", "
                        + String.join(", ", names.subList(0, Math.min(4, names.size()))) + (names.size() > 4 ? ", …" : ""));
            }
            if (files.size() > 1) out.println("wrote " + files.size() + " files: " + String.join(", ", files.stream().map(f -> String.valueOf(f.getFileName())).toList()));
            out.flush();
        }
    }

    private final Request request;
    private final Projection method;
    private final Grouping grouping;
    private final Packing packing;
    private final Ternarizer ternarizer;
    private final boolean halfScales;

    private SafetensorsQuantization(Request request, boolean halfScales) {
        this.request = request;
        this.halfScales = halfScales;
        this.method = request.method();
        this.grouping = request.grouping();
        this.packing = request.packing();
        this.ternarizer = new Ternarizer(method, grouping, request.threads());
    }

    /**
     * Whether {@code output} is written as a folder: when {@code input} is a sharded checkpoint
     * (its index or its folder) and {@code output} an existing folder or a new name without an extension.
     */
    public static boolean isFolderOutput(Path output, Path input) {
        return CheckpointOutput.isFolder(output, SafetensorsCheckpoint.isShardedOrFolder(input));
    }

    public static QuantizeReport run(Request request) throws IOException {
        return run(request, Monitor.NONE);
    }

    /** Ternarizes {@code request.input()}; the report lists the ternarized tensors in file order. */
    public static QuantizeReport run(Request request, Monitor monitor) throws IOException {
        return quantize(request, monitor).report();
    }

    /**
     * As {@link #run(Request, Monitor)} for a single file, a sharded checkpoint (its index or its
     * folder) as input, and a file or a folder (sharded like the input, with a rewritten index) as
     * output; also says which float tensors stayed in full precision.
     */
    public static Outcome quantize(Request request, Monitor monitor) throws IOException {
        return quantize(request, monitor, false);
    }

    /**
     * As {@link #quantize(Request, Monitor)}; with {@code halfScales} every scale is rounded to the
     * nearest FP16 value ({@link TernaryTensor#withHalfScales}) before anything is written, and the
     * packed file stores them as F16.
     */
    public static Outcome quantize(Request request, Monitor monitor, boolean halfScales) throws IOException {
        return new SafetensorsQuantization(request, halfScales).run(monitor);
    }

    private Outcome run(Monitor monitor) throws IOException {
        Path input = request.input();
        try (SafetensorsCheckpoint in = SafetensorsCheckpoint.open(input, request.limits())) {
            List<TensorPlan> plan = plan(in);
            int copied = (int) plan.stream().filter(p -> !p.ternarize()).count();
            List<Kept> kept = plan.stream().filter(p -> !p.ternarize() && p.tensor().dtype().isFloat()).map(p -> new Kept(p.tensor().name(), p.keptWhy())).toList();
            monitor.start(plan.stream().mapToLong(p -> p.tensor().spec().elements()).sum(), plan.size());
            GroupPasses.expect(plan.stream().filter(TensorPlan::ternarize).mapToLong(p -> p.tensor().spec().elements()).sum());
            try (AtomicOutput json = request.report() == null ? null : AtomicOutput.open(request.report(), in.shards().toArray(Path[]::new))) {
                List<Path> files = new ArrayList<>();
                List<TensorReport> tensors = write(in, plan, monitor, (reports, written) -> {
                    if (json != null) JsonFiles.write(json, report(reports, copied).toJson());
                    files.addAll(written);
                });
                if (json != null) json.commit();
                return new Outcome(report(tensors, copied), kept, List.copyOf(files));
            }
        }
    }

    private QuantizeReport report(List<TensorReport> tensors, int copied) {
        return new QuantizeReport(request.input().toString(), method.spec(), grouping.spec(), packing.spec(), tensors, copied);
    }

    /**
     * Which tensors to ternarize ({@link Selection}; float tensors only). A tensor of rank ≥ 2 the
     * grouping does not fit is an error; one of lower rank, ternarized only with allTensors, is kept
     * and said so (a row grouping has no rows in a norm's weights).
     */
    private List<TensorPlan> plan(SafetensorsCheckpoint in) throws IOException {
        List<TensorPlan> plan = new ArrayList<>();
        for (SafetensorsCheckpoint.Entry e : in.tensors()) {
            TensorInfo t = e.info();
            String why = t.dtype().isFloat() ? request.selection().keptWhy(t.name(), t.spec().rank(), request.allTensors()) : "not a float tensor";
            if (why == null) {
                try {
                    int[] shape = t.spec().intShape();
                    Shapes.size(shape);
                    grouping.layout(shape);
                } catch (IllegalArgumentException ex) {
                    if (t.spec().rank() >= 2) throw new IOException(e.reader().file() + ": tensor '" + t.name() + "': " + ex.getMessage());
                    why = "grouping " + grouping.spec() + " does not apply to rank " + t.spec().rank();
                }
            }
            plan.add(new TensorPlan(e, why));
        }
        return plan;
    }

    /**
     * Writes the dequantized tensors and, when asked for, the packed file. Both are committed only
     * at the end; the reports are in file order.
     */
    private List<TensorReport> write(SafetensorsCheckpoint in, List<TensorPlan> plan, Monitor monitor, BeforeCommit beforeCommit) throws IOException {
        List<TensorSpec> outSpecs = plan.stream().map(p -> p.tensor().spec()).toList();
        Path packedPath = request.packed();
        try (CheckpointOutput out = CheckpointOutput.open(new CheckpointOutput.Target(request.output(), isFolderOutput(request.output(), request.input())), in, outSpecs);
             SafetensorsWriter packed = packedPath == null ? null : openPacked(in, plan, packedPath)) {
            List<TensorReport> reports = new ArrayList<>();
            List<RunPipeline.Source> streamed = plan.stream().map(p -> streamable(p, monitor)).toList();
            try (RunPipeline pipeline = new RunPipeline(ternarizer, packedPath == null ? null : packing, request.threads(), streamed)) {
                for (int i = 0; i < plan.size(); i++) {
                    TensorPlan p = plan.get(i);
                    TensorInfo t = p.tensor();
                    SafetensorsReader reader = p.entry().reader();
                    SafetensorsWriter dequantized = out.writer(t.name());
                    Outputs outputs = new Outputs(dequantized, packed, monitor);
                    if (streamed.get(i) != null) {
                        reports.add(stream(pipeline, pipeline.stream(i), outputs));
                        continue; // the runs told the monitor as they were written
                    }
                    if (p.ternarize()) {
                        reports.add(ternarize(reader, t, outputs));
                    } else {
                        dequantized.copyTensor(t.name(), reader, t);
                        if (packed != null) packed.copyTensor(t.name(), reader, t);
                    }
                    monitor.done(t.spec().elements());
                }
            }
            beforeCommit.accept(reports, out.files());
            out.commit();
            if (packed != null) packed.commit();
            return reports;
        }
    }

    /** The tensor as a pipeline source when it is ternarized and its grouping streams (null otherwise). */
    private RunPipeline.Source streamable(TensorPlan p, Monitor monitor) {
        // the streaming pipeline dequantizes with the scales it fits: FP16 ones are rounded on whole tensors
        if (!p.ternarize() || monitor.wantsWholeTensors() || halfScales) return null;
        GroupLayout layout = grouping.layout(p.tensor().spec().intShape());
        return RunPipeline.fits(layout) ? new RunPipeline.Source(p.entry().reader(), p.tensor(), layout) : null;
    }

    /**
     * Writes a streamed tensor run by run, in order, with the same bytes, metrics and packed
     * codes as {@link #ternarize} on the whole tensor: metric sums are fed in index order.
     */
    private TensorReport stream(RunPipeline pipeline, RunPipeline.Stream s, Outputs out) throws IOException {
        TensorInfo t = s.source.info();
        String name = t.name();
        SafetensorsWriter packed = out.packed();
        TensorMetrics.Sums sums = new TensorMetrics.Sums();
        long zeros = 0, elements = t.spec().elements();
        out.dequantized().beginPieces(name);
        if (packed != null) packed.beginPieces(PackedFormat.codesName(name));
        for (int k = 0; k < s.runs; k++) {
            RunPipeline.Run r;
            try {
                r = pipeline.next(s);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof IllegalArgumentException bad) throw new IOException(s.source.reader().file() + ": tensor '" + name + "': " + bad.getMessage());
                if (e.getCause() instanceof RuntimeException r2) throw r2;
                if (e.getCause() instanceof IOException io) throw io; // the reader's own one-line message
                throw new IOException(s.source.reader().file() + ": tensor '" + name + "': " + e.getCause(), e.getCause());
            }
            RunPipeline.Buffers b = r.buffers();
            switch (t.dtype()) {
                case BF16 -> sums.addBf16(b.in16, b.out16, r.elements());
                case F16 -> sums.addF16(b.in16, b.out16, r.elements());
                default -> sums.add(b.w(), b.q(), r.elements());
            }
            zeros += r.zeros();
            out.dequantized().writePiece(r.encoded());
            if (packed != null) packed.writePiece(r.buffers().packed, 0, r.packedBytes());
            pipeline.release(r);
            out.monitor().done(r.elements());
        }
        out.dequantized().endPieces();
        if (packed != null) {
            packed.endPieces();
            packed.writeFloats(PackedFormat.scalesName(name), PackedFormat.scales(s.pos, s.neg));
        }
        pipeline.finish(s);
        double sparsity = elements == 0 ? 0 : (double) zeros / elements;
        double bits = TernaryTensor.bitsPerWeight(elements, (long) s.groups * (s.neg == null ? 1 : 2), packing);
        return TensorReport.of(name, t.spec().intShape(), method.spec(), grouping.spec(), sums.metrics(sparsity, bits));
    }

    /** Last step that may still fail without leaving any output behind (the JSON report, say). */
    @FunctionalInterface
    private interface BeforeCommit {
        void accept(List<TensorReport> reports, List<Path> files) throws IOException;
    }

    /** Where a ternarized tensor goes: the dequantized output, the packed file (or null), the monitor. */
    private record Outputs(SafetensorsWriter dequantized, SafetensorsWriter packed, Monitor monitor) {}

    private TensorReport ternarize(SafetensorsReader in, TensorInfo t, Outputs out) throws IOException {
        SafetensorsWriter dequantized = out.dequantized(), packed = out.packed();
        int[] shape = t.spec().intShape();
        float[] w = in.readFloats(t);
        TernaryTensor tt;
        try {
            tt = ternarizer.apply(shape, w);
            if (halfScales) tt = tt.withHalfScales();
        } catch (IllegalArgumentException e) {
            throw new IOException(in.file() + ": tensor '" + t.name() + "': " + e.getMessage());
        }
        if (out.monitor().wantsWholeTensors()) out.monitor().ternarized(t.name(), w, tt);
        float[] q = tt.dequantize();
        // The report describes what the output file holds: values rounded to its dtype.
        if (t.dtype() != DType.F32) for (int i = 0; i < q.length; i++) q[i] = HalfFloats.roundTo(t.dtype(), q[i]);
        TensorMetrics m = TensorMetrics.of(w, q, tt.sparsity(), tt.bitsPerWeight(packing, halfScales));
        dequantized.writeFloats(t.name(), q);
        if (packed != null) PackedFormat.write(packed, t.name(), tt, packing, halfScales);
        return TensorReport.of(t.name(), shape, method.spec(), grouping.spec(), m);
    }

    private SafetensorsWriter openPacked(SafetensorsCheckpoint in, List<TensorPlan> plan, Path packedPath) throws IOException {
        for (TensorPlan p : plan) {
            String name = p.tensor().name();
            if (p.ternarize() && (name.equals(PackedFormat.FORMAT_KEY) || name.equals(PackedFormat.VERSION_KEY))) {
                throw new IOException(packedPath + ": tensor name '" + name + "' is reserved in the packed format's metadata");
            }
        }
        try {
            return SafetensorsWriter.open(packedPath, packedSpecs(plan), packedMetadata(plan), in.shards().toArray(Path[]::new));
        } catch (IllegalArgumentException e) {
            throw new IOException(packedPath + ": " + e.getMessage());
        }
    }

    private List<TensorSpec> packedSpecs(List<TensorPlan> plan) {
        List<TensorSpec> specs = new ArrayList<>();
        for (TensorPlan p : plan) {
            if (p.ternarize()) specs.addAll(PackedFormat.specs(p.tensor().name(), p.tensor().spec().intShape(), grouping, method.twoScales(), packing, halfScales));
            else specs.add(p.tensor().spec());
        }
        return specs;
    }

    private Map<String, String> packedMetadata(List<TensorPlan> plan) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(PackedFormat.FORMAT_KEY, PackedFormat.FORMAT);
        meta.put(PackedFormat.VERSION_KEY, PackedFormat.VERSION);
        for (TensorPlan p : plan) {
            if (!p.ternarize()) continue;
            TensorInfo t = p.tensor();
            meta.put(t.name(), new PackedEntry(t.spec().intShape(), t.dtype(), grouping, method.spec(), packing).toJson());
        }
        return meta;
    }
}

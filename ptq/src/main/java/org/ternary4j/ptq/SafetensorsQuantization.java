package org.ternary4j.ptq;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.ternary4j.core.Ternarizer;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.grouping.Shapes;
import org.ternary4j.core.metrics.TensorMetrics;
import org.ternary4j.core.metrics.TensorReport;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.core.projection.Projection;
import org.ternary4j.formats.AtomicOutput;
import org.ternary4j.formats.packed.PackedEntry;
import org.ternary4j.formats.packed.PackedFormat;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.HalfFloats;
import org.ternary4j.formats.safetensors.ReadLimits;
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
                          boolean allTensors, int threads, ReadLimits limits) {
        public Request {
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(output, "output");
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(grouping, "grouping");
            Objects.requireNonNull(packing, "packing");
            Objects.requireNonNull(limits, "limits");
            if (threads < 1) throw new IllegalArgumentException("threads must be ≥ 1, got " + threads);
        }

        /** Base-3 packing, rank ≥ 2 tensors only, one thread per processor, default read limits, no packed file or report. */
        public static Request of(Path input, Path output, Projection method, Grouping grouping) {
            return new Request(input, output, method, grouping, Packing.BASE3, null, null, false, Runtime.getRuntime().availableProcessors(),
                    ReadLimits.DEFAULT);
        }

        public Request withPacking(Packing p) {
            return new Request(input, output, method, grouping, p, packed, report, allTensors, threads, limits);
        }

        public Request withPacked(Path p) {
            return new Request(input, output, method, grouping, packing, p, report, allTensors, threads, limits);
        }

        public Request withReport(Path r) {
            return new Request(input, output, method, grouping, packing, packed, r, allTensors, threads, limits);
        }

        public Request withAllTensors(boolean all) {
            return new Request(input, output, method, grouping, packing, packed, report, all, threads, limits);
        }

        public Request withThreads(int n) {
            return new Request(input, output, method, grouping, packing, packed, report, allTensors, n, limits);
        }

        public Request withLimits(ReadLimits l) {
            return new Request(input, output, method, grouping, packing, packed, report, allTensors, threads, l);
        }
    }

    /** Told the size of the work once it is planned, then each tensor's element count as it is done. */
    public interface Monitor {
        Monitor NONE = new Monitor() {};

        default void start(long elements, int tensors) {}

        default void done(long elements) {}
    }

    /** One input tensor and whether it is ternarized or copied unchanged. */
    private record TensorPlan(TensorInfo tensor, boolean ternarize) {}

    private final Request request;
    private final Projection method;
    private final Grouping grouping;
    private final Packing packing;
    private final Ternarizer ternarizer;

    private SafetensorsQuantization(Request request) {
        this.request = request;
        this.method = request.method();
        this.grouping = request.grouping();
        this.packing = request.packing();
        this.ternarizer = new Ternarizer(method, grouping, request.threads());
    }

    public static QuantizeReport run(Request request) throws IOException {
        return run(request, Monitor.NONE);
    }

    /** Ternarizes {@code request.input()}; the report lists the ternarized tensors in file order. */
    public static QuantizeReport run(Request request, Monitor monitor) throws IOException {
        return new SafetensorsQuantization(request).run(monitor);
    }

    private QuantizeReport run(Monitor monitor) throws IOException {
        Path input = request.input();
        try (SafetensorsReader in = SafetensorsReader.open(input, request.limits())) {
            List<TensorPlan> plan = plan(in);
            int copied = (int) plan.stream().filter(p -> !p.ternarize()).count();
            monitor.start(plan.stream().mapToLong(p -> p.tensor().spec().elements()).sum(), plan.size());
            try (AtomicOutput json = request.report() == null ? null : AtomicOutput.open(request.report(), input)) {
                List<TensorReport> tensors = write(in, plan, monitor, reports -> {
                    if (json != null) JsonFiles.write(json, report(reports, copied).toJson());
                });
                if (json != null) json.commit();
                return report(tensors, copied);
            }
        }
    }

    private QuantizeReport report(List<TensorReport> tensors, int copied) {
        return new QuantizeReport(request.input().toString(), method.spec(), grouping.spec(), packing.spec(), tensors, copied);
    }

    /** Which tensors to ternarize: float tensors of rank ≥ 2 (any rank with allTensors). Checks the grouping fits each. */
    private List<TensorPlan> plan(SafetensorsReader in) throws IOException {
        List<TensorPlan> plan = new ArrayList<>();
        for (TensorInfo t : in.tensors()) {
            boolean ternarize = t.dtype().isFloat() && (request.allTensors() || t.spec().rank() >= 2);
            if (ternarize) {
                try {
                    int[] shape = t.spec().intShape();
                    Shapes.size(shape);
                    grouping.layout(shape);
                } catch (IllegalArgumentException e) {
                    throw new IOException(in.file() + ": tensor '" + t.name() + "': " + e.getMessage());
                }
            }
            plan.add(new TensorPlan(t, ternarize));
        }
        return plan;
    }

    /**
     * Writes the dequantized tensors and, when asked for, the packed file. Both are committed only
     * at the end; the reports are in file order.
     */
    private List<TensorReport> write(SafetensorsReader in, List<TensorPlan> plan, Monitor monitor, BeforeCommit beforeCommit) throws IOException {
        List<TensorSpec> outSpecs = plan.stream().map(p -> p.tensor().spec()).toList();
        Path packedPath = request.packed();
        try (SafetensorsWriter dequantized = SafetensorsWriter.open(request.output(), outSpecs, in.metadata(), in.file());
             SafetensorsWriter packed = packedPath == null ? null : openPacked(in, plan, packedPath)) {
            List<TensorReport> reports = new ArrayList<>();
            for (TensorPlan p : plan) {
                TensorInfo t = p.tensor();
                if (p.ternarize()) {
                    reports.add(ternarize(in, t, dequantized, packed));
                } else {
                    in.withBytes(t, bytes -> {
                        dequantized.writeSegment(t.name(), bytes);
                        if (packed != null) packed.writeSegment(t.name(), bytes);
                    });
                }
                monitor.done(t.spec().elements());
            }
            beforeCommit.accept(reports);
            dequantized.commit();
            if (packed != null) packed.commit();
            return reports;
        }
    }

    /** Last step that may still fail without leaving any output behind (the JSON report, say). */
    @FunctionalInterface
    private interface BeforeCommit {
        void accept(List<TensorReport> reports) throws IOException;
    }

    private TensorReport ternarize(SafetensorsReader in, TensorInfo t, SafetensorsWriter dequantized, SafetensorsWriter packed) throws IOException {
        int[] shape = t.spec().intShape();
        float[] w = in.readFloats(t);
        TernaryTensor tt;
        try {
            tt = ternarizer.apply(shape, w);
        } catch (IllegalArgumentException e) {
            throw new IOException(in.file() + ": tensor '" + t.name() + "': " + e.getMessage());
        }
        float[] q = tt.dequantize();
        // The report describes what the output file holds: values rounded to its dtype.
        if (t.dtype() != DType.F32) for (int i = 0; i < q.length; i++) q[i] = HalfFloats.roundTo(t.dtype(), q[i]);
        TensorMetrics m = TensorMetrics.of(w, q, tt.sparsity(), tt.bitsPerWeight(packing));
        dequantized.writeFloats(t.name(), q);
        if (packed != null) PackedFormat.write(packed, t.name(), tt, packing);
        return TensorReport.of(t.name(), shape, method.spec(), grouping.spec(), m);
    }

    private SafetensorsWriter openPacked(SafetensorsReader in, List<TensorPlan> plan, Path packedPath) throws IOException {
        for (TensorPlan p : plan) {
            String name = p.tensor().name();
            if (p.ternarize() && (name.equals(PackedFormat.FORMAT_KEY) || name.equals(PackedFormat.VERSION_KEY))) {
                throw new IOException(packedPath + ": tensor name '" + name + "' is reserved in the packed format's metadata");
            }
        }
        try {
            return SafetensorsWriter.open(packedPath, packedSpecs(plan), packedMetadata(plan), in.file());
        } catch (IllegalArgumentException e) {
            throw new IOException(packedPath + ": " + e.getMessage());
        }
    }

    private List<TensorSpec> packedSpecs(List<TensorPlan> plan) {
        List<TensorSpec> specs = new ArrayList<>();
        for (TensorPlan p : plan) {
            if (p.ternarize()) specs.addAll(PackedFormat.specs(p.tensor().name(), p.tensor().spec().intShape(), grouping, method.twoScales(), packing));
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

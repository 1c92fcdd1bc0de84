package org.ternary4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import org.ternary4j.core.Ternarizer;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.grouping.Shapes;
import org.ternary4j.core.metrics.TensorMetrics;
import org.ternary4j.core.metrics.TensorReport;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.core.projection.Projection;
import org.ternary4j.formats.packed.PackedEntry;
import org.ternary4j.formats.packed.PackedFormat;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.HalfFloats;
import org.ternary4j.formats.safetensors.SafetensorsReader;
import org.ternary4j.formats.safetensors.SafetensorsWriter;
import org.ternary4j.formats.safetensors.TensorInfo;
import org.ternary4j.formats.safetensors.TensorSpec;

/**
 * The quantize pipeline for a safetensors file, in one streaming pass: each tensor is read,
 * ternarized (or copied), and written to the dequantized output and, optionally, the packed
 * output, before the next is read. Nothing becomes visible until every tensor has succeeded.
 */
final class SafetensorsQuantizer {
    private final Projection method;
    private final Grouping grouping;
    private final Packing packing;
    private final boolean allTensors;
    private final Ternarizer ternarizer;

    SafetensorsQuantizer(Projection method, Grouping grouping, Packing packing, boolean allTensors, int threads) {
        this.method = method;
        this.grouping = grouping;
        this.packing = packing;
        this.allTensors = allTensors;
        this.ternarizer = new Ternarizer(method, grouping, threads);
    }

    /** Which tensors to ternarize: float tensors of rank ≥ 2 (any rank with --all-tensors). Checks the grouping fits each. */
    List<TensorPlan> plan(SafetensorsReader in) throws IOException {
        List<TensorPlan> plan = new ArrayList<>();
        for (TensorInfo t : in.tensors()) {
            boolean ternarize = t.dtype().isFloat() && (allTensors || t.spec().rank() >= 2);
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
     * Writes the dequantized tensors to {@code out} and, when {@code packedPath} is not null, the
     * packed file. Both are committed only at the end; the reports are in file order.
     */
    List<TensorReport> run(SafetensorsReader in, List<TensorPlan> plan, Path out, Path packedPath, LongConsumer progress,
                           BeforeCommit beforeCommit) throws IOException {
        List<TensorSpec> outSpecs = plan.stream().map(p -> p.tensor().spec()).toList();
        try (SafetensorsWriter dequantized = SafetensorsWriter.open(out, outSpecs, in.metadata(), in.file());
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
                progress.accept(t.spec().elements());
            }
            beforeCommit.accept(reports);
            dequantized.commit();
            if (packed != null) packed.commit();
            return reports;
        }
    }

    /** Last step that may still fail without leaving any output behind (the JSON report, say). */
    @FunctionalInterface
    interface BeforeCommit {
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

package org.ternary4j.formats.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ternary4j.core.NonFiniteWeightException;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.Ternarizer;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.metrics.TensorMetrics;
import org.ternary4j.core.metrics.TensorReport;
import org.ternary4j.formats.AtomicOutput;

/**
 * Ternarizes the weight layers of an ONNX model and writes a model of the same structure whose
 * weights are the dequantized ternary values, in their original type, layout and place
 * (initializer, Constant node, external data). Everything else is carried over untouched.
 *
 * <p>Steps: read and validate; find weight layers in graph order ({@link GraphScan}); choose them
 * ({@link LayerDecision}); plan BatchNorm folds ({@link BatchNormFold}); rewrite every tensor in file
 * order, ternarizing one weight at a time and copying external data; apply the fold's graph edits
 * ({@link FoldEdits}); write the data file and the model atomically.
 */
public final class OnnxTernarizer {
    private final Path in;
    private final String file;
    private final OnnxOptions options;
    private final List<TensorReport> reports = new ArrayList<>();
    private final List<OnnxTernaryTensor> tensors = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    private final ModelProto edited;

    private OnnxTernarizer(Path in, ModelProto edited, OnnxOptions options) {
        this.in = in;
        this.edited = edited;
        this.file = in.toString();
        this.options = options;
    }

    public static OnnxResult run(Path in, Path out, OnnxOptions options) throws IOException {
        return run(in, out, options, result -> { });
    }

    /**
     * As {@link #run(Path, Path, OnnxOptions)}, calling {@code beforeCommit} once everything is
     * written but nothing is visible yet: a caller's other outputs (a packed file, a report) can
     * still fail without leaving this model behind.
     */
    public static OnnxResult run(Path in, Path out, OnnxOptions options, BeforeCommit beforeCommit) throws IOException {
        return new OnnxTernarizer(in, null, options).process(out, beforeCommit);
    }

    /**
     * As {@link #run(Path, Path, OnnxOptions, BeforeCommit)} for {@code edited}, the model read from
     * {@code in} with some tensor values changed in memory (calibration's corrected biases); {@code in}
     * still names the model in messages, resolves external data and is guarded against being overwritten.
     */
    public static OnnxResult run(Path in, ModelProto edited, Path out, OnnxOptions options, BeforeCommit beforeCommit) throws IOException {
        return new OnnxTernarizer(in, edited, options).process(out, beforeCommit);
    }

    /** As {@link #run(Path, ModelProto, Path, OnnxOptions, BeforeCommit)} for a model edited through the model layer. */
    public static OnnxResult run(Path in, OnnxModel edited, Path out, OnnxOptions options, BeforeCommit beforeCommit) throws IOException {
        return run(in, edited.proto(), out, options, beforeCommit);
    }

    @FunctionalInterface
    public interface BeforeCommit {
        void accept(OnnxResult result) throws IOException;
    }

    /** Which weight layers {@code options} would ternarize and why, in graph order, without writing anything. */
    public static List<LayerDecision> plan(Path in, OnnxOptions options) throws IOException {
        ModelProto model = OnnxModelFile.read(in);
        return LayerDecision.decide(GraphScan.of(model, in.toString(), options.embeddings()), options);
    }

    private OnnxResult process(Path out, BeforeCommit beforeCommit) throws IOException {
        ModelProto model = edited != null ? edited : OnnxModelFile.read(in);
        try (ExternalData ext = new ExternalData(in)) {
            GraphScan scan = GraphScan.of(model, file, options.embeddings());
            notes.addAll(scan.notes);
            List<LayerDecision> decisions = LayerDecision.decide(scan, options);
            Map<TensorSource, WeightLayer> chosen = new HashMap<>();
            for (LayerDecision d : decisions) if (d.ternarized()) chosen.put(scan.layers.get(d.layerIndex()).source(), scan.layers.get(d.layerIndex()));
            Map<TensorSource, BatchNormFold> folds = planFolds(model, scan, chosen, ext);
            Map<TensorSource, float[]> biases = new HashMap<>();
            for (BatchNormFold f : folds.values()) if (f.bias() != null) biases.put(f.bias(), f.newBias());

            List<ExternalData.Range> inputs = new ArrayList<>();
            ModelTensors.forEach(model, file, (src, t) -> {
                if (TensorCodec.isExternal(t)) inputs.add(ext.range(t, ModelTensors.expectedBytes(t, where(t))));
            });
            ModelProto.Builder edited = model.toBuilder();
            Path target = out.toAbsolutePath();
            List<Path> guarded = new ArrayList<>(List.of(in));
            for (ExternalData.Range r : inputs) guarded.add(r.file());
            try (AtomicOutput modelOut = AtomicOutput.open(target, guarded.toArray(Path[]::new));
                 ExternalOutput dataOut = inputs.isEmpty() ? null : new ExternalOutput(
                         AtomicOutput.open(target.resolveSibling(target.getFileName() + ".data"), guarded.toArray(Path[]::new)),
                         target.getFileName() + ".data")) {
                ModelTensors.forEach(model, file, (src, t) -> rewrite(src, t, edited, chosen, folds, biases, ext, dataOut));
                FoldEdits.apply(edited, folds.values(), scan);
                OnnxModelFile.write(edited.build(), modelOut);
                OnnxResult result = result(target, dataOut == null ? null : dataOut.target(), decisions);
                beforeCommit.accept(result);
                if (dataOut != null) dataOut.commit();
                modelOut.commit();
                return result;
            }
        }
    }

    private OnnxResult result(Path out, Path data, List<LayerDecision> decisions) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < tensors.size(); i++) order.add(i);
        order.sort(Comparator.comparingInt(i -> tensors.get(i).layerIndex()));
        List<TensorReport> r = order.stream().map(reports::get).toList();
        List<OnnxTernaryTensor> t = order.stream().map(tensors::get).toList();
        return new OnnxResult(out, data, r, t, List.copyOf(decisions), List.copyOf(notes));
    }

    private Map<TensorSource, BatchNormFold> planFolds(ModelProto model, GraphScan scan, Map<TensorSource, WeightLayer> chosen,
                                                       ExternalData ext) throws IOException {
        Map<TensorSource, BatchNormFold> folds = new LinkedHashMap<>();
        if (!options.foldBn()) return folds;
        for (WeightLayer l : scan.layers) {
            if (!chosen.containsKey(l.source())) continue;
            int[] canonical = l.layout().canonicalShape(l.storedShape());
            BatchNormFold.Outcome e = BatchNormFold.plan(model, l, canonical[0], scan, ext, file);
            if (e.reason() != null) notes.add(e.reason());
            if (e.fold().isEmpty()) continue;
            if (ChannelScales.perChannel(groupingFor(canonical), canonical).isEmpty()) {
                notes.add(l.nodeName() + " + BatchNormalization: not folded, grouping " + options.grouping().spec()
                        + " cannot hold one scale per output channel");
                continue;
            }
            folds.put(l.source(), e.fold().get());
        }
        return folds;
    }

    private void rewrite(TensorSource src, TensorProto t, ModelProto.Builder edited, Map<TensorSource, WeightLayer> chosen,
                         Map<TensorSource, BatchNormFold> folds, Map<TensorSource, float[]> biases, ExternalData ext,
                         ExternalOutput dataOut) throws IOException {
        WeightLayer layer = chosen.get(src);
        float[] values = null;
        FloatType type = null;
        if (layer != null) {
            BatchNormFold fold = folds.get(src);
            values = ternarize(layer, TensorCodec.decode(t, layer.type(), ext, file + ": tensor '" + layer.weightName() + "'"), fold == null ? null : fold.channelScale());
            type = layer.type();
        } else if (biases.containsKey(src)) {
            values = biases.get(src);
            type = FloatType.of(t.getDataType()).orElseThrow();
        }
        if (values == null && !TensorCodec.isExternal(t)) return;
        TensorProto.Builder b = src.edit(edited);
        if (!TensorCodec.isExternal(t)) {
            TensorCodec.encodeEmbedded(b, type, values);
            return;
        }
        long offset = dataOut.align();
        if (values != null) TensorCodec.write(dataOut.channel(), type, values);
        else ext.copy(ext.range(t, ModelTensors.expectedBytes(t, where(t))), dataOut.channel());
        dataOut.point(b, offset);
    }

    /** Ternarizes one weight (its decoded values, which it may overwrite); returns the values to store, in the stored layout. */
    private float[] ternarize(WeightLayer l, float[] stored, float[] channelScale) throws IOException {
        String where = file + ": tensor '" + l.weightName() + "'";
        int[] shape = l.layout().canonicalShape(l.storedShape());
        float[] w = l.layout().toCanonical(stored, l.storedShape());
        stored = null; // large tensors: let the stored-layout copy go before the next one is made
        Grouping grouping = groupingFor(shape);
        TernaryTensor tt = options.override() == null ? null : options.override().ternarize(l.weightName(), shape.clone(), w.clone(), grouping);
        if (tt != null && !java.util.Arrays.equals(tt.shape(), shape)) {
            throw new IllegalStateException(where + ": override returned shape " + TensorCodec.describe(tt.shape()));
        }
        if (tt != null) grouping = tt.grouping(); // an override may choose a finer grouping for this layer (calibration's --budget)
        if (tt == null) try {
            tt = new Ternarizer(options.projection(), grouping, options.threads()).apply(shape, w);
        } catch (NonFiniteWeightException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + " (" + l.op() + ", canonical shape " + TensorCodec.describe(shape) + "): " + e.getMessage());
        }
        String label = grouping.equals(options.grouping()) ? grouping.spec() : options.grouping().spec() + "→" + grouping.spec();
        if (channelScale != null) {
            Grouping g = ChannelScales.perChannel(grouping, shape).orElseThrow();
            tt = ChannelScales.scale(tt, channelScale, g);
            label = g.equals(grouping) ? label + " +bn" : label + "→" + g.spec() + " +bn (per-channel scales)";
            int per = w.length / Math.max(1, shape[0]);
            for (int i = 0; i < w.length; i++) w[i] *= channelScale[i / Math.max(1, per)];
        }
        tt = ChannelScales.round(tt, l.type());
        for (float s : tt.scalePos()) if (!Float.isFinite(s)) throw new IllegalArgumentException(where + ": a scale overflows " + l.type());
        if (tt.scaleNeg() != null) for (float s : tt.scaleNeg()) if (!Float.isFinite(s)) throw new IllegalArgumentException(where + ": a scale overflows " + l.type());
        if (options.halfScales()) {
            try {
                tt = tt.withHalfScales();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage());
            }
        }
        float[] q = tt.dequantize();
        TensorMetrics m = TensorMetrics.of(w, q, tt.sparsity(), tt.bitsPerWeight(options.packing(), options.halfScales()));
        long params = 1;
        for (int d : shape) params *= d;
        reports.add(new TensorReport(l.weightName(), shape, tt.method(), label, tt.grouping().spec(), channelScale != null, m, l.op(), l.order(), params));
        tensors.add(new OnnxTernaryTensor(l.weightName(), l.op(), l.nodeName(), l.order(), l.layout(), l.storedShape().clone(),
                l.type().name(), channelScale != null, tt));
        return l.layout().toStored(q, l.storedShape());
    }

    /**
     * The grouping for a weight of this canonical shape. Conv-only groupings (kernel, fiber) have
     * no meaning for a rank-2 weight (Gemm, MatMul, Gather); those layers use one group per output
     * row instead, and the report's grouping column says so ("kernel→row").
     */
    private Grouping groupingFor(int[] canonicalShape) {
        return options.grouping().forRank(canonicalShape.length);
    }

    private String where(TensorProto t) {
        return file + ": tensor '" + (t.getName().isEmpty() ? "(unnamed Constant value)" : t.getName()) + "'";
    }
}

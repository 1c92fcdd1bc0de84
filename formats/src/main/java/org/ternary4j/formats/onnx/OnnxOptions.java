package org.ternary4j.formats.onnx;

import java.util.List;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.core.projection.Projection;

/**
 * What {@link OnnxTernarizer} does to a model.
 *
 * @param allLayers  also ternarize the first and last weight layers (kept full precision by default)
 * @param include    when not empty, only layers whose weight or node name matches one of these
 * @param exclude    layers whose weight or node name matches one of these stay full precision
 * @param foldBn     fold a BatchNormalization that directly follows a ternarized Conv, ConvTranspose
 *                   or Gemm into that layer's per-channel scales and bias, and remove it
 * @param embeddings also ternarize Gather tables (embeddings); they do not count for first/last
 * @param packing    the packing whose storage cost the reports give
 * @param override   null, or supplies a layer's ternary weight itself (calibrated ternarization); the
 *                   projection is used for layers it returns null for
 * @param halfScales round every ternary scale to the nearest FP16 value as the last step (after
 *                   overrides and folds), so the written model and packed file hold FP16 scales
 */
public record OnnxOptions(Projection projection, Grouping grouping, boolean allLayers, List<NamePattern> include,
                          List<NamePattern> exclude, boolean foldBn, boolean embeddings, int threads, Packing packing,
                          WeightOverride override, boolean halfScales) {

    /**
     * Supplies the ternary weight of a chosen layer instead of {@link #projection}: canonical
     * shape and values (unfolded, before any BatchNorm fold) and the grouping the layer uses.
     * The result must have that shape; its grouping may differ (a per-layer choice) but must hold
     * one scale per output channel when a BatchNorm is folded. Return null to use the projection.
     */
    @FunctionalInterface
    public interface WeightOverride {
        org.ternary4j.core.TernaryTensor ternarize(String weightName, int[] canonicalShape, float[] canonical, Grouping grouping);

        /**
         * Why the layer stays out of ternary (mixed precision kept it at INT8 or FP16 and its values
         * in the model are already the dequantized ones), or null to ternarize it.
         */
        default String keptReason(String weightName) {
            return null;
        }
    }

    public OnnxOptions {
        include = List.copyOf(include);
        exclude = List.copyOf(exclude);
        if (threads < 1) throw new IllegalArgumentException("threads must be ≥ 1");
    }

    public static OnnxOptions of(Projection projection, Grouping grouping) {
        return new OnnxOptions(projection, grouping, false, List.of(), List.of(), false, false, 1, Packing.TWO_BIT, null, false);
    }

    /** The same options with another method and grouping (a sweep over both). */
    public OnnxOptions withMethod(Projection p, Grouping g) {
        return new OnnxOptions(p, g, allLayers, include, exclude, foldBn, embeddings, threads, packing, override, halfScales);
    }

    public OnnxOptions withAllLayers(boolean v) {
        return new OnnxOptions(projection, grouping, v, include, exclude, foldBn, embeddings, threads, packing, override, halfScales);
    }

    public OnnxOptions withInclude(List<NamePattern> v) {
        return new OnnxOptions(projection, grouping, allLayers, v, exclude, foldBn, embeddings, threads, packing, override, halfScales);
    }

    public OnnxOptions withExclude(List<NamePattern> v) {
        return new OnnxOptions(projection, grouping, allLayers, include, v, foldBn, embeddings, threads, packing, override, halfScales);
    }

    public OnnxOptions withFoldBn(boolean v) {
        return new OnnxOptions(projection, grouping, allLayers, include, exclude, v, embeddings, threads, packing, override, halfScales);
    }

    public OnnxOptions withEmbeddings(boolean v) {
        return new OnnxOptions(projection, grouping, allLayers, include, exclude, foldBn, v, threads, packing, override, halfScales);
    }

    public OnnxOptions withThreads(int v) {
        return new OnnxOptions(projection, grouping, allLayers, include, exclude, foldBn, embeddings, v, packing, override, halfScales);
    }

    public OnnxOptions withPacking(Packing v) {
        return new OnnxOptions(projection, grouping, allLayers, include, exclude, foldBn, embeddings, threads, v, override, halfScales);
    }

    public OnnxOptions withOverride(WeightOverride v) {
        return new OnnxOptions(projection, grouping, allLayers, include, exclude, foldBn, embeddings, threads, packing, v, halfScales);
    }

    public OnnxOptions withHalfScales(boolean v) {
        return new OnnxOptions(projection, grouping, allLayers, include, exclude, foldBn, embeddings, threads, packing, override, v);
    }
}

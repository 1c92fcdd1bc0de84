package org.ternary4j.qat;

import ai.djl.ndarray.NDArray;
import java.util.List;
import org.ternary4j.core.grouping.Grouping;

/** The identity: the layer trains and exports its float weight. */
public record FullPrecisionQuantizer() implements WeightQuantizer {
    @Override
    public NDArray effective(NDArray weight, List<NDArray> params) {
        return weight;
    }

    @Override
    public Grouping grouping() {
        return new Grouping.WholeTensor();
    }

    @Override
    public boolean ternary() {
        return false;
    }
}

package org.ternary4j.qat;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A DJL block built from a {@link Layer} description, with its weighted layers and batch norms
 * by name so that initialisation, loading and export can reach their parameters.
 */
public final class Network {
    private final Architecture architecture;
    private final List<Layer> layers;
    private final Map<String, WeightBlock> weighted = new LinkedHashMap<>();
    private final Map<String, BatchNorm> norms = new LinkedHashMap<>();
    private final SequentialBlock block;

    public Network(Architecture architecture) {
        this.architecture = architecture;
        this.layers = architecture.layers();
        for (Layer.Weighted w : Architecture.weighted(layers)) weighted.put(w.name(), new WeightBlock(w));
        block = sequence(layers);
    }

    private SequentialBlock sequence(List<Layer> ls) {
        SequentialBlock s = new SequentialBlock();
        for (Layer l : ls) s.add(toBlock(l));
        return s;
    }

    private Block toBlock(Layer l) {
        return switch (l) {
            case Layer.Conv c -> weighted.get(c.name());
            case Layer.Dense d -> weighted.get(d.name());
            case Layer.BatchNorm b -> {
                BatchNorm bn = BatchNorm.builder().optEpsilon(Layer.BN_EPSILON).build();
                norms.put(b.name(), bn);
                yield bn;
            }
            case Layer.Relu r -> Activation.reluBlock();
            case Layer.MaxPool p -> Pool.maxPool2dBlock(new Shape(p.size(), p.size()), new Shape(p.size(), p.size()));
            case Layer.Flatten f -> Blocks.batchFlattenBlock();
            case Layer.GlobalAvgPool g -> Pool.globalAvgPool2dBlock();
            case Layer.Residual r -> {
                Block main = sequence(r.main());
                Block shortcut = r.shortcut().isEmpty() ? Blocks.identityBlock() : sequence(r.shortcut());
                yield new ParallelBlock(list -> new NDList(list.get(0).singletonOrThrow().add(list.get(1).singletonOrThrow())),
                        List.of(main, shortcut));
            }
        };
    }

    public Architecture architecture() {
        return architecture;
    }

    public List<Layer> layers() {
        return layers;
    }

    public SequentialBlock block() {
        return block;
    }

    public Map<String, WeightBlock> weighted() {
        return weighted;
    }

    public Map<String, BatchNorm> norms() {
        return norms;
    }
}

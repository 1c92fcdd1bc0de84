package org.ternary4j.qat;

import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Projections;
import org.ternary4j.core.projection.TernaryMethod;

/**
 * The methods that can train, each bound to its quantizer and default grouping. Names, help and
 * unknown-name messages come from core's {@link TernaryMethod}, the one registry of methods.
 */
public enum Method {
    FP(TernaryMethod.FP, "tensor"),
    TTQ(TernaryMethod.TTQ, "tensor"),
    SYQ(TernaryMethod.SYQ, "syq-pixel"),
    TGA(TernaryMethod.TGA, "tensor"),
    TWN(TernaryMethod.TWN, "tensor"),
    TNT(TernaryMethod.TNT, "row"),
    TWO_SCALE(TernaryMethod.TWO_SCALE, "row");

    private final TernaryMethod registered;
    private final String defaultGrouping;

    Method(TernaryMethod registered, String defaultGrouping) {
        this.registered = registered;
        this.defaultGrouping = defaultGrouping;
    }

    public String cliName() {
        return registered.cliName();
    }

    public String defaultGrouping() {
        return defaultGrouping;
    }

    public static Method parse(String s) {
        return of(TernaryMethod.forTraining(s));
    }

    /** The binding of a registered training method; every one has a quantizer here. */
    static Method of(TernaryMethod registered) {
        for (Method m : values()) if (m.registered == registered) return m;
        throw new IllegalStateException("method " + registered.cliName() + " is registered for training but has no quantizer");
    }

    /** Rejects a grouping this method cannot learn scales for, before any training starts. */
    public void checkGrouping(Grouping g) {
        boolean broadcast = g instanceof Grouping.WholeTensor || g instanceof Grouping.Row || g instanceof Grouping.SyqPixel || g instanceof Grouping.SyqRow;
        switch (this) {
            case TGA -> { if (!(g instanceof Grouping.WholeTensor)) throw new IllegalArgumentException("method tga works per layer: grouping must be 'tensor'"); }
            case TTQ, SYQ -> { if (!broadcast) throw new IllegalArgumentException("method " + cliName() + " learns its scales: grouping must be tensor, row, syq-pixel or syq-row, not '" + g.spec() + "'"); }
            default -> {}
        }
    }

    /** A fresh quantizer for one ternarized layer; {@link #FP} has none. */
    public WeightQuantizer quantizer(Grouping g) {
        return switch (this) {
            case FP -> throw new IllegalArgumentException("method fp keeps weights in full precision: it has no quantizer");
            case TTQ -> new TtqQuantizer(g);
            case SYQ -> new SyqQuantizer(g);
            case TGA -> {
                checkGrouping(g);
                yield new TgaQuantizer();
            }
            case TWN, TNT, TWO_SCALE -> new ProjectionQuantizer(Projections.parse(cliName()), g);
        };
    }
}

package org.ternary4j.qat;

import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Projections;

/** The training methods of {@code ternary4j train --method}, each with its default grouping. */
public enum Method {
    FP("fp", "tensor"),
    TTQ("ttq", "tensor"),
    SYQ("syq", "syq-pixel"),
    TGA("tga", "tensor"),
    TWN("twn", "tensor"),
    TNT("tnt", "row"),
    TWO_SCALE("two-scale", "row");

    private final String cliName;
    private final String defaultGrouping;

    Method(String cliName, String defaultGrouping) {
        this.cliName = cliName;
        this.defaultGrouping = defaultGrouping;
    }

    public String cliName() {
        return cliName;
    }

    public String defaultGrouping() {
        return defaultGrouping;
    }

    public static Method parse(String s) {
        for (Method m : values()) if (m.cliName.equals(s)) return m;
        throw new IllegalArgumentException("method '" + s + "': unknown; one of fp, ttq, syq, tga, twn, tnt, two-scale");
    }

    /** Rejects a grouping this method cannot learn scales for, before any training starts. */
    public void checkGrouping(Grouping g) {
        boolean broadcast = g instanceof Grouping.WholeTensor || g instanceof Grouping.Row || g instanceof Grouping.SyqPixel || g instanceof Grouping.SyqRow;
        switch (this) {
            case TGA -> { if (!(g instanceof Grouping.WholeTensor)) throw new IllegalArgumentException("method tga works per layer: grouping must be 'tensor'"); }
            case TTQ, SYQ -> { if (!broadcast) throw new IllegalArgumentException("method " + cliName + " learns its scales: grouping must be tensor, row, syq-pixel or syq-row, not '" + g.spec() + "'"); }
            default -> {}
        }
    }

    /** A fresh quantizer for one ternarized layer (full precision for {@link #FP}). */
    public WeightQuantizer quantizer(Grouping g) {
        return switch (this) {
            case FP -> new FullPrecisionQuantizer();
            case TTQ -> new TtqQuantizer(g);
            case SYQ -> new SyqQuantizer(g);
            case TGA -> {
                checkGrouping(g);
                yield new TgaQuantizer();
            }
            case TWN -> new ProjectionQuantizer(Projections.parse("twn"), g);
            case TNT -> new ProjectionQuantizer(Projections.parse("tnt"), g);
            case TWO_SCALE -> new ProjectionQuantizer(Projections.parse("two-scale"), g);
        };
    }
}

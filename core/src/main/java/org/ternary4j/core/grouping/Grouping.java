package org.ternary4j.core.grouping;

import java.util.Arrays;
import java.util.List;

/**
 * How a weight tensor is cut into groups that each get their own scale(s). Shapes are in the
 * canonical layout [out, in, spatial…]: model readers transpose other layouts (ONNX MatMul's
 * [in, out], say) before grouping, so "row" always means one output channel.
 */
public sealed interface Grouping {

    /** The CLI spelling, which {@link #parse} turns back into this grouping. */
    String spec();

    /** The groups of a tensor of this shape; a clear {@link IllegalArgumentException} if it does not fit. */
    GroupLayout layout(int[] shape);

    /**
     * The grouping to use for a weight of this rank. Conv-only groupings (kernel slices, fibres)
     * mean nothing for a rank-2 weight (FC, MatMul, Gather); such a weight gets one group per
     * output row instead. Every other grouping applies as it is.
     */
    default Grouping forRank(int rank) {
        boolean convOnly = this instanceof Kernel || this instanceof Fiber;
        return convOnly && rank < 3 ? new Row() : this;
    }

    List<String> HELP = List.of(
            "tensor     one group: the whole tensor",
            "row        one group per output channel (first dimension)",
            "kernel     one H·W slice per (cout, cin) of a conv kernel",
            "fiber      one Cin vector per (cout, h, w) of a conv kernel",
            "block:G    G consecutive weights along each output channel's inputs (last block may be shorter)",
            "syq-pixel  SYQ pixel-wise: one group per kernel position, over all (cout, cin); FC: whole tensor",
            "syq-row    SYQ row-wise: one group per kernel row; FC: whole tensor");

    static Grouping parse(String spec) {
        String s = spec.trim();
        if (s.startsWith("block:")) {
            try {
                return new Block(Integer.parseInt(s.substring(6)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("grouping '" + spec + "': block size must be an integer");
            }
        }
        return switch (s) {
            case "tensor" -> new WholeTensor();
            case "row" -> new Row();
            case "kernel" -> new Kernel();
            case "fiber" -> new Fiber();
            case "syq-pixel" -> new SyqPixel();
            case "syq-row" -> new SyqRow();
            default -> throw new IllegalArgumentException(
                    "grouping '" + spec + "': unknown; one of tensor, row, kernel, fiber, block:G, syq-pixel, syq-row");
        };
    }

    record WholeTensor() implements Grouping {
        public String spec() { return "tensor"; }

        public GroupLayout layout(int[] shape) {
            return GroupLayout.contiguous(1, Shapes.size(shape));
        }
    }

    record Row() implements Grouping {
        public String spec() { return "row"; }

        public GroupLayout layout(int[] shape) {
            Shapes.requireRank(this, shape, 2);
            return GroupLayout.contiguous(shape[0], Shapes.size(shape) / Math.max(1, shape[0]));
        }
    }

    record Kernel() implements Grouping {
        public String spec() { return "kernel"; }

        public GroupLayout layout(int[] shape) {
            Shapes.requireRank(this, shape, 3);
            return GroupLayout.contiguous(shape[0] * shape[1], Shapes.spatial(shape));
        }
    }

    record Fiber() implements Grouping {
        public String spec() { return "fiber"; }

        public GroupLayout layout(int[] shape) {
            Shapes.requireRank(this, shape, 3);
            int cout = shape[0], cin = shape[1], hw = Shapes.spatial(shape);
            int[] starts = new int[cout * hw + 1];
            int[] index = new int[cout * cin * hw];
            int k = 0;
            for (int o = 0; o < cout; o++) {
                for (int p = 0; p < hw; p++) {
                    starts[o * hw + p] = k;
                    for (int c = 0; c < cin; c++) index[k++] = (o * cin + c) * hw + p;
                }
            }
            starts[cout * hw] = k;
            return new GroupLayout(starts, index);
        }
    }

    record Block(int size) implements Grouping {
        public Block {
            if (size < 1) throw new IllegalArgumentException("grouping 'block:" + size + "': block size must be ≥ 1");
        }

        public String spec() { return "block:" + size; }

        public GroupLayout layout(int[] shape) {
            Shapes.requireRank(this, shape, 2);
            int rows = shape[0], rowLen = Shapes.size(shape) / Math.max(1, rows);
            int perRow = (rowLen + size - 1) / size;
            int[] starts = new int[rows * perRow + 1];
            int g = 0;
            for (int r = 0; r < rows; r++) {
                for (int b = 0; b < perRow; b++) starts[g++] = r * rowLen + b * size;
            }
            starts[g] = rows * rowLen;
            return new GroupLayout(starts, null);
        }
    }

    record SyqPixel() implements Grouping {
        public String spec() { return "syq-pixel"; }

        public GroupLayout layout(int[] shape) {
            if (shape.length == 2) return new WholeTensor().layout(shape);
            Shapes.requireRank(this, shape, 3);
            return Shapes.bySpatialPosition(shape, Shapes.spatial(shape), 1);
        }
    }

    record SyqRow() implements Grouping {
        public String spec() { return "syq-row"; }

        public GroupLayout layout(int[] shape) {
            if (shape.length == 2) return new WholeTensor().layout(shape);
            if (shape.length != 4) {
                throw new IllegalArgumentException("grouping 'syq-row' needs a rank-2 (FC) or rank-4 (conv) tensor, got shape " + Arrays.toString(shape));
            }
            return Shapes.bySpatialPosition(shape, shape[2], shape[3]);
        }
    }
}

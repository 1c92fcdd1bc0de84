package org.ternary4j.qat.graph;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.ternary4j.qat.EngineArrays;

/** 2-D convolution (grouped and depthwise included), inference batch norm and pooling over [N, C, H, W]; layer norm over trailing axes. */
final class ConvOps {
    private ConvOps() {}

    static void register(Map<String, Op> ops) {
        ops.put("Conv", Op.single(ConvOps::conv));
        ops.put("BatchNormalization", ConvOps::batchNorm);
        ops.put("LayerNormalization", Op.single(ConvOps::layerNorm));
        ops.put("MaxPool", Op.single(c -> pool(c, true)));
        ops.put("AveragePool", Op.single(c -> pool(c, false)));
        ops.put("GlobalAveragePool", Op.single(c -> ShapeOps.mean(c.in(0), spatialAxes(c.in(0)), true)));
        ops.put("GlobalMaxPool", Op.single(c -> ShapeOps.max(c.in(0), spatialAxes(c.in(0)), true)));
    }

    private static int[] spatialAxes(NDArray x) {
        int[] axes = new int[x.getShape().dimension() - 2];
        for (int i = 0; i < axes.length; i++) axes[i] = i + 2;
        return axes;
    }

    /** The window geometry of a Conv or pool node over a 4-D input. */
    private record Window(long[] kernel, long[] strides, long[] dilations, long[] pads) {
        boolean symmetric() {
            return pads[0] == pads[2] && pads[1] == pads[3];
        }

        /** F.pad order: last axis first, before and after. */
        Shape padding() {
            return new Shape(pads[1], pads[3], pads[0], pads[2]);
        }
    }

    private static Window window(NodeCall c, long[] kernel) {
        String autoPad = c.node().stringAttr("auto_pad", "NOTSET");
        if (!autoPad.equals("NOTSET") && !autoPad.equals("VALID")) throw c.fail("auto_pad " + autoPad + " is not supported");
        long[] strides = orDefault(c.intsAttr("strides"), 2, 1);
        long[] dilations = orDefault(c.intsAttr("dilations"), 2, 1);
        long[] pads = autoPad.equals("VALID") ? new long[4] : orDefault(c.intsAttr("pads"), 4, 0);
        if (kernel.length != 2 || strides.length != 2 || dilations.length != 2 || pads.length != 4) {
            throw c.fail("only 2-D windows are supported (kernel " + Arrays.toString(kernel) + ")");
        }
        return new Window(kernel, strides, dilations, pads);
    }

    private static long[] orDefault(long[] v, int n, long dflt) {
        if (v != null) return v;
        long[] d = new long[n];
        Arrays.fill(d, dflt);
        return d;
    }

    private static void need4d(NodeCall c, NDArray x) {
        if (x.getShape().dimension() != 4) throw c.fail("only 4-D [N, C, H, W] inputs are supported, got " + x.getShape());
    }

    private static NDArray conv(NodeCall c) {
        NDArray x = c.in(0), w = c.in(1), b = c.optional(2);
        need4d(c, x);
        long[] kernel = c.intsAttr("kernel_shape");
        Window win = window(c, kernel != null ? kernel : new long[] {w.getShape().get(2), w.getShape().get(3)});
        Shape pad = new Shape(win.pads[0], win.pads[1]);
        if (!win.symmetric()) {
            x = x.pad(win.padding(), 0);
            pad = new Shape(0, 0);
        }
        int groups = Math.toIntExact(c.intAttr("group", 1));
        return Conv2d.conv2d(x, w, b, new Shape(win.strides), pad, new Shape(win.dilations), groups).singletonOrThrow();
    }

    /**
     * Inference form: the stored statistics. Without mean and variance (a tap removes them, as
     * fine-tuning's batch norms in their training form do) the batch's own statistics normalise, as
     * a batch norm normalises in training: PyTorch's fused batch norm, gradients through the statistics.
     */
    private static NDArray[] batchNorm(NodeCall c) {
        if (c.intAttr("training_mode", 0) != 0) throw c.fail("training-mode batch norm is not supported");
        NDArray x = c.in(0), mean = c.optional(3), var = c.optional(4);
        float eps = c.floatAttr("epsilon", 1e-5f);
        long channels = x.getShape().get(1);
        List<String> names = c.node().inputs();
        boolean named = names.size() >= 5 && !names.get(3).isEmpty() && !names.get(4).isEmpty();
        if (!named) throw c.fail("needs its mean and variance inputs");
        if (mean == null && var == null) {
            if (x.size() > channels) {
                // PyTorch moves the running statistics it is given in place: these are scratch arrays.
                NDArray running = c.manager().zeros(new Shape(channels)), runningVar = c.manager().ones(new Shape(channels));
                return new NDArray[] {BatchNorm.batchNorm(x, running, runningVar, c.in(1), c.in(2), 1, 0.9f, eps, true).singletonOrThrow()};
            }
            // One value per channel (one example, no spatial axes), which PyTorch refuses: its own mean, variance 0.
            mean = x.reshape(channels);
            var = c.manager().zeros(new Shape(channels));
        }
        long[] bc = new long[x.getShape().dimension()];
        Arrays.fill(bc, 1);
        bc[1] = channels;
        Shape s = new Shape(bc);
        NDArray inv = var.add(eps).sqrt().reshape(s);
        NDArray y = x.sub(mean.reshape(s)).div(inv).mul(c.in(1).reshape(s)).add(c.in(2).reshape(s));
        return new NDArray[] {y};
    }

    /** Normalised over the axes from {@code axis} on; only the first output (the optional mean and inverse deviation are not computed). */
    private static NDArray layerNorm(NodeCall c) {
        if (c.node().outputs().stream().skip(1).anyMatch(o -> !o.isEmpty())) throw c.fail("only the normalised output is supported, not the mean or inverse deviation");
        NDArray x = c.in(0), bias = c.optional(2);
        int rank = x.getShape().dimension();
        int[] axes = java.util.stream.IntStream.range(c.axis(c.intAttr("axis", -1), rank), rank).toArray();
        NDArray centred = x.sub(ShapeOps.mean(x, axes, true));
        NDArray variance = ShapeOps.mean(centred.square(), axes, true);
        NDArray y = centred.div(EngineArrays.add(variance, c.floatAttr("epsilon", 1e-5f)).sqrt()).mul(c.in(1));
        return bias == null ? y : y.add(bias);
    }

    private static NDArray pool(NodeCall c, boolean max) {
        NDArray x = c.in(0);
        need4d(c, x);
        long[] kernel = c.intsAttr("kernel_shape");
        if (kernel == null) throw c.fail("has no kernel_shape");
        Window win = window(c, kernel);
        if (win.dilations[0] != 1 || win.dilations[1] != 1) throw c.fail("dilated pooling is not supported");
        boolean ceil = c.intAttr("ceil_mode", 0) != 0;
        Shape pad = new Shape(win.pads[0], win.pads[1]);
        if (!win.symmetric()) {
            if (!max && c.intAttr("count_include_pad", 0) == 0) throw c.fail("asymmetric padding without count_include_pad is not supported");
            x = x.pad(win.padding(), max ? Double.NEGATIVE_INFINITY : 0);
            pad = new Shape(0, 0);
        }
        if (max) return Pool.maxPool2d(x, new Shape(kernel), new Shape(win.strides), pad, ceil);
        NDArray sums = Pool.avgPool2d(x, new Shape(kernel), new Shape(win.strides), pad, ceil, true);
        if (c.intAttr("count_include_pad", 0) != 0) return sums;
        // Excluding the padding: divide by the share of each window that lies inside the input.
        NDArray ones = c.manager().ones(new Shape(1, 1, x.getShape().get(2), x.getShape().get(3)), x.getDataType());
        return sums.div(Pool.avgPool2d(ones, new Shape(kernel), new Shape(win.strides), pad, ceil, true));
    }
}

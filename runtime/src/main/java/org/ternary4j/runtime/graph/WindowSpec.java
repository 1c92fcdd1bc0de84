package org.ternary4j.runtime.graph;

import java.util.Arrays;
import org.ternary4j.formats.onnx.ConvAttributes;
import org.ternary4j.formats.onnx.OnnxNode;

/**
 * A 2-D Conv or pooling node's window: its kernel and attributes, read once when the graph is
 * compiled; only auto_pad SAME needs the input size, so {@link #resolve} is cheap on every run.
 */
record WindowSpec(String op, int kh, int kw, ConvAttributes attributes) {

    /** A pooling node's window, from its kernel_shape. */
    static WindowSpec pool(OnnxNode n) {
        ConvAttributes a = ConvAttributes.of(n, 2);
        int[] k = a.kernelShape();
        if (k.length == 0) throw new IllegalArgumentException(n.opType() + " node '" + n.label() + "': kernel_shape is required");
        return new WindowSpec(n.opType(), k[0], k[1], a);
    }

    /** A Conv node's window for a weight whose spatial dims are kh × kw (kernel_shape, when given, must agree). */
    static WindowSpec conv(OnnxNode n, int kh, int kw) {
        ConvAttributes a = ConvAttributes.of(n, 2);
        int[] k = a.kernelShape();
        if (k.length != 0 && (k[0] != kh || k[1] != kw)) {
            throw new IllegalArgumentException("Conv node '" + n.label() + "': kernel_shape " + Arrays.toString(k) + " but the weight's kernel is [" + kh + ", " + kw + "]");
        }
        return new WindowSpec(n.opType(), kh, kw, a);
    }

    int groups() {
        return attributes.group();
    }

    NeuralOps.Window resolve(Tensor x) {
        if (x.rank() != 4) throw new IllegalArgumentException(op + ": only 2-D (rank-4 NCHW) inputs are supported, got rank " + x.rank());
        return window(attributes.pads(new int[] {kh, kw}, new int[] {x.shape()[2], x.shape()[3]}));
    }

    /** The window of a node whose padding does not depend on the input size (auto_pad not SAME_*). */
    NeuralOps.Window fixed() {
        if (attributes.autoPad().same()) throw new IllegalStateException(op + ": SAME padding depends on the input size");
        return window(attributes.pads(new int[] {kh, kw}, new int[] {0, 0}));
    }

    private NeuralOps.Window window(int[] p) {
        int[] s = attributes.strides(), d = attributes.dilations();
        return new NeuralOps.Window(kh, kw, s[0], s[1], p[0], p[1], p[2], p[3], d[0], d[1], attributes.ceilMode());
    }
}

package org.ternary4j.runtime.graph;

import java.util.Arrays;
import java.util.Set;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.ternary4j.formats.onnx.OnnxNode;
import org.ternary4j.runtime.kernel.Buffers;
import org.ternary4j.runtime.kernel.PairLanes;
import org.ternary4j.runtime.kernel.PanelGemm;
import org.ternary4j.runtime.kernel.Parallel;
import org.ternary4j.runtime.kernel.Scratch;

/**
 * The operators that enlarge feature maps in detection and segmentation heads (PP-OCRv4's DBNet
 * detector upsamples with both): Resize, nearest and linear, with the ONNX coordinate
 * conventions, and 2-D ConvTranspose with float weights. What they do not implement is refused at
 * load ({@link #unsupported}), not at the first run.
 */
final class Upsampling {
    private Upsampling() {}

    /** Why this runtime cannot run node n (an attribute value it does not implement), or null if it can. */
    static String unsupported(OnnxNode n) {
        return switch (n.opType()) {
            case "Resize" -> {
                String mode = n.stringAttr("mode", "nearest"), ctm = n.stringAttr("coordinate_transformation_mode", "half_pixel");
                if (!mode.equals("nearest") && !mode.equals("linear")) yield "Resize mode '" + mode + "' (nearest and linear are supported)";
                if (!COORDINATES.contains(ctm)) yield "Resize coordinate_transformation_mode '" + ctm + "'";
                if (!NEAREST.contains(n.stringAttr("nearest_mode", "round_prefer_floor"))) yield "Resize nearest_mode '" + n.stringAttr("nearest_mode", "") + "'";
                if (n.intAttr("antialias", 0) != 0) yield "Resize with antialias";
                if (n.has("axes")) yield "Resize with the axes attribute";
                if (!n.stringAttr("keep_aspect_ratio_policy", "stretch").equals("stretch")) yield "Resize keep_aspect_ratio_policy '" + n.stringAttr("keep_aspect_ratio_policy", "") + "'";
                yield null;
            }
            case "ConvTranspose" -> {
                String pad = n.stringAttr("auto_pad", "NOTSET");
                if (!pad.equals("NOTSET") && !pad.equals("VALID")) yield "ConvTranspose auto_pad '" + pad + "' (NOTSET and VALID are supported)";
                if (n.has("output_shape")) yield "ConvTranspose with output_shape (give pads instead)";
                yield null;
            }
            default -> null;
        };
    }

    /** The coordinate conventions ONNX Runtime also runs (the oracle of the tests; it refuses tf_half_pixel_for_nearest at opset 13). */
    private static final Set<String> COORDINATES = Set.of("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric");
    private static final Set<String> NEAREST = Set.of("round_prefer_floor", "round_prefer_ceil", "floor", "ceil");

    /**
     * Resize: output sizes from {@code sizes} or floor(input · scales); every axis resized on its
     * own, the last first (nearest picks a source index, with vector gathers along the last axis;
     * linear blends two neighbours; n-linear is the product of the per-axis weights, so axis after
     * axis gives it up to float rounding). Before opset 11 the inputs are (X, scales) and the
     * mapping is asymmetric. It runs on the calling thread: it only moves data, and shared with
     * the second core it made PP-OCRv4's detector slower (on two threads 17.2–18.3 ms a page
     * against 16.1–16.2 serial, three alternating runs), the next step reading the other core's
     * half of the output across cores. Outputs are {@link Buffers} arrays; an axis's intermediate
     * goes back as soon as the next axis has read it.
     */
    static Tensor resize(OnnxNode n, Tensor[] in, int opset) {
        Tensor x = in[0];
        int r = x.rank();
        Tensor scalesIn = opset < 11 ? in[1] : in.length > 2 ? in[2] : null, sizesIn = opset < 11 || in.length < 4 ? null : in[3];
        float[] scales = scalesIn == null || scalesIn.size() == 0 ? null : scalesIn.floats();
        long[] sizes = sizesIn == null || sizesIn.size() == 0 ? null : sizesIn.longs();
        if ((scales == null) == (sizes == null)) throw new IllegalArgumentException("Resize node '" + n.label() + "': exactly one of scales and sizes must be given");
        if ((scales != null ? scales.length : sizes.length) != r) {
            throw new IllegalArgumentException("Resize node '" + n.label() + "': " + (scales != null ? scales.length + " scales" : sizes.length + " sizes") + " for a rank-" + r + " input");
        }
        boolean linear = n.stringAttr("mode", "nearest").equals("linear");
        String ctm = opset < 11 ? "asymmetric" : n.stringAttr("coordinate_transformation_mode", "half_pixel");
        String rounding = opset < 11 ? "floor" : n.stringAttr("nearest_mode", "round_prefer_floor");
        int[] shape = x.shape().clone();
        float[] v = x.floats();
        // the last axis first: its per-element pass then runs before the others have multiplied the elements
        for (int axis = r - 1; axis >= 0; axis--) {
            int len = shape[axis];
            long out = sizes != null ? sizes[axis] : (long) (scales[axis] * len);
            if (out < 0 || out > Integer.MAX_VALUE) throw new IllegalArgumentException("Resize node '" + n.label() + "': output size " + out + " on axis " + axis);
            float scale = sizes != null ? (float) out / len : scales[axis];
            Axis map = Axis.of(len, (int) out, scale, ctm, linear ? null : rounding);
            if (map.identity()) continue;
            float[] before = v;
            v = map.apply(v, shape, axis);
            if (before != x.floats()) Buffers.recycle(before); // the last axis's output, read by now
            shape[axis] = (int) out;
        }
        return new Tensor.F32(shape, v == x.floats() ? v.clone() : v);
    }

    /** One axis's mapping: output j reads source lo[j] with weight 1 − w[j] and hi[j] with weight w[j] (nearest: w = 0). */
    private record Axis(int[] lo, int[] hi, float[] w, int len) {
        static Axis of(int len, int out, float scale, String ctm, String nearest) {
            int[] lo = new int[out], hi = new int[out];
            float[] w = new float[out];
            for (int j = 0; j < out; j++) {
                float s = source(j, len, out, scale, ctm);
                if (nearest != null) {
                    lo[j] = hi[j] = Math.clamp(round(s, nearest), 0, Math.max(0, len - 1));
                    continue;
                }
                s = Math.clamp(s, 0f, (float) Math.max(0, len - 1));
                int f = (int) s;
                lo[j] = f;
                hi[j] = Math.min(f + 1, len - 1);
                w[j] = s - f;
            }
            return new Axis(lo, hi, w, len);
        }

        boolean identity() {
            if (lo.length != len) return false;
            for (int j = 0; j < len; j++) if (lo[j] != j || (w[j] != 0f && hi[j] != j)) return false;
            return true;
        }

        /** x with this axis (of shape[axis] entries) replaced by lo.length resampled ones. */
        float[] apply(float[] x, int[] shape, int axis) {
            int outer = 1, inner = 1, out = lo.length;
            for (int d = 0; d < axis; d++) outer *= shape[d];
            for (int d = axis + 1; d < shape.length; d++) inner *= shape[d];
            float[] y = Buffers.floats(Math.multiplyExact(Math.multiplyExact(outer, out), inner));
            boolean nearest = true;
            for (float f : w) nearest &= f == 0f;
            int bound = inner == 1 && nearest ? F.loopBound(out) : 0, in = inner;
            for (int o = 0; o < outer; o++) {
                if (in == 1) { // the last axis: one gather (and blend) per element, not a copy call each
                    int row = o * len, t = o * out, j = 0;
                    for (; j < bound; j += F.length()) FloatVector.fromArray(F, x, row, lo, j).intoArray(y, t + j);
                    for (; j < out; j++) y[t + j] = w[j] == 0f ? x[row + lo[j]] : (1f - w[j]) * x[row + lo[j]] + w[j] * x[row + hi[j]];
                    continue;
                }
                for (int j = 0; j < out; j++) {
                    int a = (o * len + lo[j]) * in, b = (o * len + hi[j]) * in, t = (o * out + j) * in;
                    float wb = w[j], wa = 1f - wb;
                    if (wb == 0f) System.arraycopy(x, a, y, t, in);
                    else for (int i = 0; i < in; i++) y[t + i] = wa * x[a + i] + wb * x[b + i];
                }
            }
            return y;
        }
    }

    /** The source coordinate of output index j, in float as the ONNX reference computes it. */
    private static float source(int j, int len, int out, float scale, String ctm) {
        return switch (ctm) {
            case "half_pixel" -> (j + 0.5f) / scale - 0.5f;
            case "pytorch_half_pixel" -> out > 1 ? (j + 0.5f) / scale - 0.5f : 0f;
            case "align_corners" -> out == 1 ? 0f : j * (float) (len - 1) / (out - 1);
            case "asymmetric" -> j / scale;
            default -> throw new IllegalArgumentException("Resize coordinate_transformation_mode '" + ctm + "' is not supported");
        };
    }

    private static int round(float s, String mode) {
        float f = (float) Math.floor(s);
        boolean half = s - f == 0.5f;
        return switch (mode) {
            case "floor" -> (int) f;
            case "ceil" -> (int) Math.ceil(s);
            case "round_prefer_ceil" -> half ? (int) f + 1 : Math.round(s);
            default -> half ? (int) f : Math.round(s); // round_prefer_floor
        };
    }

    /**
     * 2-D ConvTranspose, x [n, c, h, w] and weight [c, out/group, kh, kw]: every input pixel
     * scatters its value times the kernel into the output, y[oy·…] at oy = iy·stride − pad +
     * ky·dilation, with output_padding added to the bottom and right. Every (output channel,
     * kernel tap) plane is first one row of a {@link PanelGemm} product over the input planes
     * (input channels summed in order, one FMA chain per pixel), then scattered once: scattering
     * every channel's product with strided stores took 8 ms of the PP-OCRv4 detector's 45 at
     * 320×320, and summing a plane at a time, an accumulator load and store per FMA, 1.0 ms of its
     * 16 for the 24 → 24 2×2 one.
     */
    static Tensor convTranspose(OnnxNode n, Tensor[] in, Parallel par) {
        Tensor x = in[0], wt = in[1];
        if (x.rank() != 4 || wt.rank() != 4) throw new IllegalArgumentException("ConvTranspose node '" + n.label() + "': only 2-D (rank-4 input and weight) is supported");
        int groups = (int) n.intAttr("group", 1);
        int[] xs = x.shape(), ws = wt.shape();
        int batch = xs[0], c = xs[1], h = xs[2], w = xs[3], kh = ws[2], kw = ws[3];
        if (groups < 1 || c % groups != 0 || ws[0] != c) {
            throw new IllegalArgumentException("ConvTranspose node '" + n.label() + "': input has " + c + " channels, weight " + Arrays.toString(ws) + ", group " + groups);
        }
        int inPer = c / groups, outPer = ws[1], oc = outPer * groups;
        long[] strides = attr(n, "strides", 1), dil = attr(n, "dilations", 1), outPad = attr(n, "output_padding", 0);
        long[] pads = n.stringAttr("auto_pad", "NOTSET").equals("VALID") || !n.has("pads") ? new long[4] : n.intsAttr("pads");
        if (pads.length != 4) throw new IllegalArgumentException("ConvTranspose node '" + n.label() + "': pads must have 4 values, got " + pads.length);
        int sh = (int) strides[0], sw = (int) strides[1], dh = (int) dil[0], dw = (int) dil[1], pt = (int) pads[0], pl = (int) pads[1];
        long ohl = (long) sh * (h - 1) + outPad[0] + (long) (kh - 1) * dh + 1 - pads[0] - pads[2];
        long owl = (long) sw * (w - 1) + outPad[1] + (long) (kw - 1) * dw + 1 - pads[1] - pads[3];
        if (ohl < 0 || owl < 0 || ohl * owl * oc * batch > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("ConvTranspose node '" + n.label() + "': output " + ohl + "×" + owl + " out of range");
        }
        int oh = (int) ohl, ow = (int) owl;
        float[] xv = x.floats(), wv = wt.floats(), bias = in.length > 2 && in[2] != null ? in[2].floats() : null, y = Buffers.floats(batch * oc * oh * ow);
        Parallel p = (long) batch * oc * inPer * kh * kw * h * w < PARALLEL_WORK ? Parallel.serial() : par;
        int taps = outPer * kh * kw, hw = h * w;
        // a 2-wide kernel at stride 2 without left padding: the two taps of a row interleave into whole output rows
        boolean pairs = kw == 2 && sw == 2 && dw == 1 && pl == 0 && 2 * w <= ow;
        float[] rows = new float[Math.multiplyExact(taps, inPer)], tapPlanes = Scratch.floats(Scratch.Slot.TAP_PLANES, Math.multiplyExact(taps, hw));
        for (int b = 0; b < batch; b++) {
            for (int g = 0; g < groups; g++) {
                // row (o, ky, kx) holds the weights of input channels g·inPer … in order
                for (int r = 0; r < taps; r++) for (int i = 0; i < inPer; i++) rows[r * inPer + i] = wv[(g * inPer + i) * taps + r];
                PanelGemm.overPlanes(new PanelGemm.Rows(rows, inPer, tapPlanes, hw), taps, xv, (b * c + g * inPer) * hw, inPer, hw, p);
                int image = b, group = g;
                p.forRange(outPer, 1, (o0, o1) -> {
                    for (int o = o0; o < o1; o++) {
                        int ch = group * outPer + o, yPlane = (image * oc + ch) * oh * ow;
                        Arrays.fill(y, yPlane, yPlane + oh * ow, bias != null ? bias[ch] : 0f);
                        for (int ky = 0; ky < kh; ky++) {
                            int r = (o * kh + ky) * kw;
                            if (pairs) scatterPairs(tapPlanes, r * hw, (r + 1) * hw, h, w, y, yPlane, oh, ow, ky * dh - pt, sh);
                            else for (int kx = 0; kx < kw; kx++) scatter(tapPlanes, (r + kx) * hw, h, w, y, yPlane, oh, ow, ky * dh - pt, kx * dw - pl, sh, sw);
                        }
                    }
                });
            }
        }
        return new Tensor.F32(new int[] {batch, oc, oh, ow}, y);
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** Multiply-adds below which a ConvTranspose stays on the calling thread. */
    private static final long PARALLEL_WORK = 1 << 16;

    /** y[iy·sh + oy0, ix·sw + ox0] += tap[iy, ix] for the input pixels that land inside the output. */
    private static void scatter(float[] tap, int tapOff, int h, int w, float[] y, int yPlane, int oh, int ow, int oy0, int ox0, int sh, int sw) {
        int ix0 = Math.max(0, ceilDiv(-ox0, sw)), ix1 = Math.min(w, ceilDiv(ow - ox0, sw));
        for (int iy = 0; iy < h; iy++) {
            int oy = iy * sh + oy0;
            if (oy < 0 || oy >= oh) continue;
            int src = tapOff + iy * w, dst = yPlane + oy * ow + ox0;
            for (int ix = ix0; ix < ix1; ix++) y[dst + ix * sw] += tap[src + ix];
        }
    }

    /**
     * {@link #scatter} of taps kx = 0 and 1 of a 2-wide kernel at stride 2 (no left padding): input
     * column ix adds tap 0 to output column 2·ix and tap 1 to 2·ix + 1, two vectors of taps
     * interleaved by two lane selections; a value at a time, the scatter was most of the
     * detector's 24 → 24 ConvTranspose.
     */
    private static void scatterPairs(float[] tap, int off0, int off1, int h, int w, float[] y, int yPlane, int oh, int ow, int oy0, int sh) {
        int l = F.length(), bound = w - l;
        for (int iy = 0; iy < h; iy++) {
            int oy = iy * sh + oy0;
            if (oy < 0 || oy >= oh) continue;
            int a = off0 + iy * w, b = off1 + iy * w, dst = yPlane + oy * ow, ix = 0;
            for (; ix <= bound; ix += l) {
                FloatVector t0 = FloatVector.fromArray(F, tap, a + ix), t1 = FloatVector.fromArray(F, tap, b + ix);
                int at = dst + 2 * ix;
                FloatVector.fromArray(F, y, at).add(PairLanes.zipLow(t0, t1)).intoArray(y, at);
                FloatVector.fromArray(F, y, at + l).add(PairLanes.zipHigh(t0, t1)).intoArray(y, at + l);
            }
            for (; ix < w; ix++) {
                y[dst + 2 * ix] += tap[a + ix];
                y[dst + 2 * ix + 1] += tap[b + ix];
            }
        }
    }

    private static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }

    private static long[] attr(OnnxNode n, String name, long dflt) {
        long[] v = n.has(name) ? n.intsAttr(name) : new long[] {dflt, dflt};
        if (v.length != 2) throw new IllegalArgumentException(n.opType() + " node '" + n.label() + "': " + name + " must have 2 values, got " + v.length);
        return v;
    }
}

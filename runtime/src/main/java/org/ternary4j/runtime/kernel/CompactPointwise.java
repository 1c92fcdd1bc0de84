package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;

/**
 * A 1×1 convolution with one scale per output channel, kept as {@link Base3Codes} (1.6 bits a
 * weight) and decoded into floats on every call: each call decoded its weights anyway (the padded
 * 2-bit rows were never multiplied in place), so only the resident form changed. Both paths are a
 * {@link PanelGemm} product with the input planes as panels (pixels along the lanes): the exact
 * path with weights ±scale, the int8 path with codes ±1 over per-pixel quantized inputs, whose
 * integer sums are exact in float, so it gives the integer kernels' result bit for bit. Images
 * are independent; each output is one FMA chain in input order whatever the threads.
 */
final class CompactPointwise {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int NR = PanelGemm.NR;

    private final Base3Codes codes;
    private final ScaleArray scale;
    private final int cin;
    /** Codes in input-major order ([cin][rows]): decoded, they are the panels of a one-pixel product as they are. */
    private final boolean inputMajor;

    private CompactPointwise(Base3Codes codes, ScaleArray scale, int cin, boolean inputMajor) {
        this.codes = codes;
        this.scale = scale;
        this.cin = cin;
        this.inputMajor = inputMajor;
    }

    /**
     * The compact form of m (rows = output channels, inputs = input channels), or null when a row
     * has several scales. {@code onePixel}: the layer's inputs are known to be one pixel per image
     * (a squeeze-and-excitation conv after its global pooling), so its codes are kept input-major.
     */
    static CompactPointwise of(PackedTernaryMatrix m, boolean onePixel) {
        if (m.twoScales() || m.layout().segments() != 1) return null;
        int k = m.cols(), rows = m.rows();
        Base3Codes codes = onePixel ? Base3Codes.of(Math.multiplyExact(rows, k), i -> m.code(i % rows, i / rows))
                : Base3Codes.of(Math.multiplyExact(rows, k), i -> m.code(i / k, i % k));
        return new CompactPointwise(codes, m.scalePos().copy(), k, onePixel);
    }

    int rows() {
        return scale.length();
    }

    long residentBytes() {
        return weightBytes().total();
    }

    WeightBytes weightBytes() {
        return new WeightBytes(codes.residentBytes(), scale.bytes(), 0);
    }

    /** The packed matrix of the same weights, for the per-pixel path of inputs with NaN or infinity. */
    PackedTernaryMatrix unpack() {
        byte[] c = new byte[codes.count()];
        for (int i = 0; i < c.length; i++) c[i] = (byte) codes.code(inputMajor ? i % cin * rows() + i / cin : i);
        TernaryTensor t = new TernaryTensor(new int[] {rows(), cin}, new Grouping.Row(), "unpacked", c, scale.toFloats(), null);
        return PackedTernaryMatrix.of(t, 0, rows());
    }

    /** x [n, cin, hw] (finite) → [n, rows, hw]. */
    float[] forward(float[] x, int n, int hw, boolean exact, Parallel par) {
        int outs = rows();
        if (inputMajor && hw == 1) return onePixel(x, n, exact);
        float[] w = decoded(F.length());
        if (inputMajor) w = rowMajor(w);
        if (exact) scaleRows(w);
        float[] y = Buffers.floats(Math.multiplyExact(n, Math.multiplyExact(outs, hw)));
        if (hw == 1) {
            vectors(x, n, w, exact, y);
            return y;
        }
        PanelGemm.Rows weights = new PanelGemm.Rows(w, 0, cin, y, 0, hw);
        if (Batching.acrossImages(n, par)) {
            par.forRange(n, 1, (i0, i1) -> {
                for (int img = i0; img < i1; img++) image(x, img, hw, weights, exact, Parallel.serial());
            });
        } else {
            Parallel p = (long) outs * cin * hw < TernaryConv2d.SERIAL_CONV_WORK ? Parallel.serial() : par;
            for (int img = 0; img < n; img++) image(x, img, hw, weights, exact, p);
        }
        return y;
    }

    /** The codes as floats in this thread's scratch, then {@code slack} zeros (the vector kernels read that far past them). */
    private float[] decoded(int slack) {
        int n = codes.decodedLength();
        float[] w = Scratch.floats(Scratch.Slot.WEIGHTS, n + slack);
        codes.decode(w);
        java.util.Arrays.fill(w, n, n + slack, 0f);
        return w;
    }

    /**
     * Codes ±1 → ±scale of their row, 0 stays 0 (the values the packed rows decode to), a vector
     * at a time, a row's last partial vector masked (w has a vector of slack past the codes): rows
     * are as short as 8 inputs, and a scalar select per weight mispredicted on random codes.
     */
    private void scaleRows(float[] w) {
        FloatVector zero = FloatVector.zero(F);
        for (int r = 0; r < rows(); r++) {
            float s = scale.get(r);
            FloatVector pos = FloatVector.broadcast(F, s), neg = FloatVector.broadcast(F, -s);
            for (int i = r * cin, end = i + cin; i < end; i += F.length()) {
                var m = F.indexInRange(i, end);
                FloatVector c = FloatVector.fromArray(F, w, i, m);
                zero.blend(pos, c.eq(1f)).blend(neg, c.eq(-1f)).intoArray(w, i, m);
            }
        }
    }

    /** Input-major codes [cin][rows] back in row order (with a vector of slack), for inputs of more than one pixel. */
    private float[] rowMajor(float[] t) {
        int outs = rows();
        float[] w = new float[codes.decodedLength() + F.length()];
        for (int o = 0; o < outs; o++) for (int q = 0; q < cin; q++) w[o * cin + q] = t[q * outs + o];
        return w;
    }

    /**
     * One pixel per image with input-major codes: decoded (and, exact, scaled by their output's
     * scale lane by lane), they are already the {@link PanelGemm} panels of {@link #vectors}, so
     * nothing is copied: the same FMA chains, the same bits, without a per-call transpose.
     */
    private float[] onePixel(float[] x, int n, boolean exact) {
        int outs = rows();
        float[] w = decoded(NR);
        if (exact) scaleColumns(w);
        float[] y = Buffers.floats(Math.multiplyExact(n, outs));
        float[] ps = exact ? null : new float[(n + PixelQuantizer.LANES - 1) / PixelQuantizer.LANES * PixelQuantizer.LANES];
        float[] a = exact ? x : quantizedRows(x, n, ps);
        PanelGemm.Rows io = new PanelGemm.Rows(a, cin, y, outs);
        for (int r0 = 0; r0 < outs; r0 += NR) PanelGemm.multiply(io, n, cin, new PanelGemm.Panel(w, r0, outs), r0, Math.min(NR, outs - r0));
        if (!exact) unscale(y, n, ps);
        return y;
    }

    /** Input-major codes ±1 → ±scale of their output (lane o of each input's row), 0 stays 0: the values {@link #scaleRows} gives. */
    private void scaleColumns(float[] w) {
        int outs = rows();
        float[] s = new float[outs];
        for (int o = 0; o < outs; o++) s[o] = scale.get(o);
        FloatVector zero = FloatVector.zero(F);
        for (int o = 0; o < outs; o += F.length()) {
            var m = F.indexInRange(o, outs);
            FloatVector pos = FloatVector.fromArray(F, s, o, m), neg = pos.neg();
            for (int q = 0, i = o; q < cin; q++, i += outs) {
                FloatVector c = FloatVector.fromArray(F, w, i, m);
                zero.blend(pos, c.eq(1f)).blend(neg, c.eq(-1f)).intoArray(w, i, m);
            }
        }
    }

    /**
     * One pixel per image (a squeeze-and-excitation block after its global pooling): the images
     * are the activation rows and the weights the panels, NR output channels each, so no lane is
     * spent on the 31 pixels a plane panel would not have. Each output is still one FMA chain over
     * the inputs in order, the same bits as the plane form.
     */
    private void vectors(float[] x, int n, float[] w, boolean exact, float[] y) {
        int outs = rows();
        float[] ps = exact ? null : new float[(n + PixelQuantizer.LANES - 1) / PixelQuantizer.LANES * PixelQuantizer.LANES];
        float[] a = exact ? x : quantizedRows(x, n, ps);
        PanelGemm.Rows io = new PanelGemm.Rows(a, cin, y, outs);
        float[] panel = new float[cin * NR];
        for (int r0 = 0; r0 < outs; r0 += NR) {
            int cols = Math.min(NR, outs - r0);
            java.util.Arrays.fill(panel, 0f);
            for (int r = 0; r < cols; r++) for (int q = 0; q < cin; q++) panel[q * NR + r] = w[(r0 + r) * cin + q];
            PanelGemm.multiply(io, n, cin, panel, 0, r0, cols);
        }
        if (!exact) unscale(y, n, ps);
    }

    /** The images' pixels [n, cin] quantized per image as {@link PixelQuantizer} does (each image a column), their scales into ps. */
    private float[] quantizedRows(float[] x, int n, float[] ps) {
        int ld = ps.length;
        float[] q = new float[Math.multiplyExact(cin, ld)];
        for (int img = 0; img < n; img++) for (int ch = 0; ch < cin; ch++) q[ch * ld + img] = x[img * cin + ch];
        PixelQuantizer.quantize(q, cin, ld, ps);
        float[] a = new float[Math.multiplyExact(n, cin)];
        for (int img = 0; img < n; img++) for (int ch = 0; ch < cin; ch++) a[img * cin + ch] = q[ch * ld + img];
        return a;
    }

    /** The int8 path's finish of one-pixel outputs: (0 + s·Σ) times the image's scale. */
    private void unscale(float[] y, int n, float[] ps) {
        int outs = rows();
        for (int img = 0; img < n; img++) {
            for (int o = 0; o < outs; o++) y[img * outs + o] = (0f + scale.get(o) * y[img * outs + o]) * ps[img];
        }
    }

    /** One image: exact, the planes in place as panels; int8, a quantized copy of them, then (0 + s·Σ) times the pixel's scale. */
    private void image(float[] x, int img, int hw, PanelGemm.Rows io, boolean exact, Parallel par) {
        int outs = rows(), xOff = img * cin * hw, yOff = img * outs * hw;
        PanelGemm.Rows rows = new PanelGemm.Rows(io.a(), 0, io.lda(), io.y(), yOff, hw);
        int blocks = (hw + NR - 1) / NR;
        if (exact) {
            PanelGemm.overPlanes(rows, outs, x, xOff, cin, hw, par);
            return;
        }
        int ld = blocks * NR;
        // this thread's scratch: each channel's pixels, then zeros to the panel edge (the last panel's unused pixels)
        float[] q = Scratch.floats(Scratch.Slot.QUANTIZED, Math.multiplyExact(cin, ld)), ps = Scratch.floats(Scratch.Slot.PIXEL_SCALES, ld);
        for (int ch = 0; ch < cin; ch++) {
            System.arraycopy(x, xOff + ch * hw, q, ch * ld, hw);
            java.util.Arrays.fill(q, ch * ld + hw, (ch + 1) * ld, 0f);
        }
        PixelQuantizer.quantize(q, cin, ld, ps);
        float[] y = io.y();
        par.forRange(blocks, 1, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                int j0 = b * NR, cols = Math.min(NR, hw - j0);
                PanelGemm.multiply(rows, outs, cin, new PanelGemm.Panel(q, j0, ld), j0, cols);
                for (int o = 0; o < outs; o++) PanelGemm.scaleOutputs(y, yOff + o * hw + j0, cols, scale.get(o), ps, j0);
            }
        });
    }
}

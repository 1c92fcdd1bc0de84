package org.ternary4j.runtime.graph;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * What a Conv or Gemm and the nodes fused into it do to each output after the product, per output
 * channel c: y·alpha + bias[c] (Gemm's α and β·C, a conv's bias), then y·scale[c] + shift[c] (a
 * following BatchNormalization), then max(y, 0) (a following Relu) or
 * an exported HardSwish ({@link HardSwish}). The steps are the same float
 * operations the unfused nodes perform, in the same order, so fusing changes no bit of the result.
 * Absent parts are null (alpha 1). A convolution's epilogue may end in a 2×2 max pool ({@link ConvFinish}).
 */
record Epilogue(float alpha, float[] bias, float[] scale, float[] shift, boolean relu, HardSwish swish, boolean pool) {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    static final Epilogue NONE = new Epilogue(1f, null, null, null, false, null, false);

    Epilogue(float alpha, float[] bias, float[] scale, float[] shift, boolean relu) {
        this(alpha, bias, scale, shift, relu, null, false);
    }

    /**
     * x·(clip(x + add, lo, hi) / div), or (x·clip(x + add, lo, hi)) / div when {@code divideLast}:
     * the Add, Clip, Div and Mul nodes of an exported HardSwish, each a float operation of its own;
     * then, if {@code then} is given, ·scale + shift (a scalar Mul and Add that follow it).
     */
    record HardSwish(float add, float lo, float hi, float div, boolean divideLast, Then then) {
        /** The scalar y·scale + shift after the HardSwish. */
        record Then(float scale, float shift) {}

        HardSwish then(float scale, float shift) {
            if (then != null) throw new IllegalStateException("a second affine after HardSwish");
            return new HardSwish(add, lo, hi, div, divideLast, new Then(scale, shift));
        }

        float apply(float x) {
            float c = MoreOps.clip(x + add, lo, hi);
            float y = divideLast ? x * c / div : x * (c / div);
            return then == null ? y : y * then.scale() + then.shift();
        }

        /** The same as {@link #apply(float)} lane by lane: the clip is a compare and a blend, as {@link MoreOps#clip}. */
        FloatVector apply(FloatVector x) {
            FloatVector a = x.add(add);
            FloatVector c = a.blend(hi, a.compare(VectorOperators.GT, hi)).blend(lo, a.compare(VectorOperators.LT, lo));
            FloatVector y = divideLast ? x.mul(c).div(div) : x.mul(c.div(div));
            return then == null ? y : y.mul(then.scale()).add(then.shift());
        }
    }

    boolean isIdentity() {
        return !changesValues() && !pool;
    }

    /** Whether anything before the pool changes a value (α, bias, normalization or Relu). */
    boolean changesValues() {
        return alpha != 1f || bias != null || scale != null || relu || swish != null;
    }

    Epilogue withBatchNorm(float[] s, float[] b) {
        if (scale != null || relu || swish != null || pool) throw new IllegalStateException("batch norm after a fused normalization, relu or pool");
        return new Epilogue(alpha, bias, s, b, false);
    }

    Epilogue withRelu() {
        if (pool || swish != null) throw new IllegalStateException("relu after a fused pool or HardSwish");
        return new Epilogue(alpha, bias, scale, shift, true);
    }

    Epilogue withHardSwish(HardSwish h) {
        if (relu || swish != null || pool) throw new IllegalStateException("HardSwish after a fused relu, HardSwish or pool");
        return new Epilogue(alpha, bias, scale, shift, false, h, false);
    }

    /** Then a 2×2, stride-2 MaxPool (convolutions only: see {@link ConvFinish}). */
    Epilogue withPool() {
        return new Epilogue(alpha, bias, scale, shift, relu, swish, true);
    }

    /** BatchNormalization's per-channel y·s + b, computed as {@link NeuralOps#batchNorm} does. */
    static float[][] batchNorm(float[] gamma, float[] beta, float[] mean, float[] var, float eps) {
        int c = gamma.length;
        float[] s = new float[c], b = new float[c];
        for (int ch = 0; ch < c; ch++) {
            s[ch] = gamma[ch] / (float) Math.sqrt(var[ch] + eps);
            b[ch] = beta[ch] - mean[ch] * s[ch];
        }
        return new float[][] {s, b};
    }

    /** In place on y [outer, channels, inner]. */
    void apply(float[] y, int outer, int channels, int inner) {
        if (pool) throw new IllegalStateException("a pooling epilogue needs the conv output's geometry");
        if (isIdentity()) return;
        if (inner == 1) {
            for (int o = 0; o < outer; o++) acrossChannels(y, o * channels, channels);
            return;
        }
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) alongChannel(y, (o * channels + c) * inner, inner, c);
        }
    }

    /** One channel's inner values, all with the same constants. */
    private void alongChannel(float[] y, int from, int n, int c) {
        float b = bias == null ? 0f : bias[c], s = scale == null ? 1f : scale[c], t = shift == null ? 0f : shift[c];
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, y, from + i);
            if (alpha != 1f) v = v.mul(alpha);
            if (bias != null) v = v.add(b);
            if (scale != null) v = v.mul(s).add(t);
            if (relu) v = v.blend(0f, v.compare(VectorOperators.LE, 0f)); // = max(v, 0), NaN and −0 included, without Java max's extra instructions
            if (swish != null) v = swish.apply(v);
            v.intoArray(y, from + i);
        }
        for (; i < n; i++) y[from + i] = one(y[from + i], b, s, t);
    }

    /** One row of a [rows, channels] output: channel c's constants at lane c. */
    private void acrossChannels(float[] y, int from, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, y, from + i);
            if (alpha != 1f) v = v.mul(alpha);
            if (bias != null) v = v.add(FloatVector.fromArray(F, bias, i));
            if (scale != null) v = v.mul(FloatVector.fromArray(F, scale, i)).add(FloatVector.fromArray(F, shift, i));
            if (relu) v = v.blend(0f, v.compare(VectorOperators.LE, 0f)); // = max(v, 0), NaN and −0 included, without Java max's extra instructions
            if (swish != null) v = swish.apply(v);
            v.intoArray(y, from + i);
        }
        for (; i < n; i++) y[from + i] = one(y[from + i], bias == null ? 0f : bias[i], scale == null ? 1f : scale[i], shift == null ? 0f : shift[i]);
    }

    float one(float v, float b, float s, float t) {
        if (alpha != 1f) v *= alpha;
        if (bias != null) v += b;
        if (scale != null) v = v * s + t;
        if (swish != null) return swish.apply(v);
        return relu ? relu(v) : v;
    }

    /** ONNX Relu: NaN stays NaN, −0 becomes 0. */
    static float relu(float v) {
        return v > 0 ? v : (v == v ? 0f : v);
    }
}

package org.ternary4j.core;

import java.util.Arrays;
import java.util.Locale;
import org.ternary4j.core.grouping.Shapes;

/**
 * A weight that mixed precision keeps out of ternary: stored at INT8 (symmetric, one fp32 scale
 * per output row of the canonical [out, in, …] shape: w ≈ q · s, q ∈ [−127, 127], s = max|w_row| / 127)
 * or as IEEE half precision. {@link #dequantize()} gives the float values a model runs with.
 */
public sealed interface KeptTensor permits KeptTensor.Int8, KeptTensor.Fp16 {

    /** The stored precisions, with their spelling in reports and packed files. */
    enum Precision {
        INT8("int8"), FP16("fp16");

        private final String spec;

        Precision(String spec) {
            this.spec = spec;
        }

        public String spec() {
            return spec;
        }

        public static Precision parse(String s) {
            for (Precision p : values()) if (p.spec.equals(s.toLowerCase(Locale.ROOT))) return p;
            throw new IllegalArgumentException("kept precision '" + s + "' is not int8 or fp16");
        }
    }

    /** Canonical [out, in, …] shape. */
    int[] shape();

    Precision precision();

    float[] dequantize();

    /** Bits of storage (values plus scales) per weight. */
    double bitsPerWeight();

    /** Stores {@code w} (canonical layout) at {@code p}; non-finite weights are refused. */
    static KeptTensor of(Precision p, int[] shape, float[] w) {
        if (Shapes.size(shape) != w.length) throw new IllegalArgumentException(w.length + " values for shape " + Arrays.toString(shape));
        for (int i = 0; i < w.length; i++) if (!Float.isFinite(w[i])) throw new NonFiniteWeightException(i, w[i]);
        return switch (p) {
            case INT8 -> Int8.quantize(shape, w);
            case FP16 -> Fp16.round(shape, w);
        };
    }

    /** Bits per weight of {@code p} for {@code shape}, without quantizing anything. */
    static double bitsPerWeight(Precision p, int[] shape) {
        long n = Shapes.size(shape);
        return switch (p) {
            case INT8 -> n == 0 ? 8 : (8.0 * n + 32.0 * shape[0]) / n;
            case FP16 -> 16;
        };
    }

    /** INT8 values row-major over the shape, one scale per row (shape[0] rows). */
    record Int8(int[] shape, byte[] values, float[] scales) implements KeptTensor {
        public Int8 {
            shape = shape.clone();
            int n = Shapes.size(shape);
            if (values.length != n) throw new IllegalArgumentException(values.length + " int8 values for shape " + Arrays.toString(shape));
            int rows = shape.length == 0 ? 1 : shape[0];
            if (scales.length != rows) throw new IllegalArgumentException(scales.length + " scales for " + rows + " rows");
            for (float s : scales) if (!(s >= 0) || Float.isInfinite(s)) throw new IllegalArgumentException("scale " + s + " is not a finite non-negative number");
            for (byte v : values) if (v == Byte.MIN_VALUE) throw new IllegalArgumentException("int8 value -128 is outside the symmetric range");
        }

        static Int8 quantize(int[] shape, float[] w) {
            int rows = shape.length == 0 ? 1 : shape[0];
            int per = rows == 0 ? 0 : w.length / rows;
            byte[] q = new byte[w.length];
            float[] s = new float[rows];
            for (int r = 0; r < rows; r++) {
                float max = 0;
                for (int j = 0; j < per; j++) max = Math.max(max, Math.abs(w[r * per + j]));
                s[r] = max / 127f;
                if (max == 0) continue;
                for (int j = 0; j < per; j++) q[r * per + j] = (byte) Math.max(-127, Math.min(127, Math.round(w[r * per + j] / s[r])));
            }
            return new Int8(shape, q, s);
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        public Precision precision() {
            return Precision.INT8;
        }

        public float[] dequantize() {
            int per = scales.length == 0 ? 0 : values.length / scales.length;
            float[] out = new float[values.length];
            for (int i = 0; i < out.length; i++) out[i] = values[i] * scales[i / per];
            return out;
        }

        public double bitsPerWeight() {
            return KeptTensor.bitsPerWeight(Precision.INT8, shape);
        }
    }

    /** IEEE 754 binary16 bit patterns, row-major over the shape. */
    record Fp16(int[] shape, short[] bits) implements KeptTensor {
        public Fp16 {
            shape = shape.clone();
            if (bits.length != Shapes.size(shape)) throw new IllegalArgumentException(bits.length + " halves for shape " + Arrays.toString(shape));
        }

        static Fp16 round(int[] shape, float[] w) {
            short[] h = new short[w.length];
            for (int i = 0; i < w.length; i++) {
                h[i] = Float.floatToFloat16(w[i]);
                if (Float.isInfinite(Float.float16ToFloat(h[i]))) throw new IllegalArgumentException("weight " + w[i] + " at element " + i + " overflows half precision");
            }
            return new Fp16(shape, h);
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        public Precision precision() {
            return Precision.FP16;
        }

        public float[] dequantize() {
            float[] out = new float[bits.length];
            for (int i = 0; i < out.length; i++) out[i] = Float.float16ToFloat(bits[i]);
            return out;
        }

        public double bitsPerWeight() {
            return 16;
        }
    }
}

package org.ternary4j.eval.ort;

import ai.onnxruntime.OnnxJavaType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.data.NdArray;

/**
 * Synthetic inputs for comparing two models when no data set matches them ({@code --data random:N}).
 * Same seed, same inputs. Float inputs get standard normal values; integer inputs look like
 * token data: names containing "mask" get 1, "type" 0, "position" 0, 1, 2, … along the last
 * axis, anything else ids in [0, 1000). Dynamic dimensions other than the batch become
 * {@value #DYNAMIC_DIM}. A smoke test for agreement, not a substitute for real data.
 */
public final class RandomInputs {
    public static final int DYNAMIC_DIM = 16;

    private RandomInputs() {}

    /** Parses {@code random:N[:SEED]}; returns null when {@code spec} is not of that form. */
    public static Dataset fromSpec(String spec, OrtModel model) {
        return fromSpec(spec, model, DYNAMIC_DIM);
    }

    /** As {@link #fromSpec(String, OrtModel)}, dynamic dimensions other than the batch {@code dynamicDim}. */
    public static Dataset fromSpec(String spec, OrtModel model, int dynamicDim) {
        return fromSpec(spec, model.inputs(), dynamicDim);
    }

    /** As {@link #fromSpec(String, OrtModel, int)}, for inputs as a model declares them ({@link DeclaredInputs}). */
    public static Dataset fromSpec(String spec, List<OrtModel.Input> inputs, int dynamicDim) {
        if (dynamicDim < 1) throw new IllegalArgumentException("dynamic dimension size must be ≥ 1, got " + dynamicDim);
        if (!spec.startsWith("random:")) return null;
        String[] parts = spec.split(":");
        try {
            if (parts.length < 2 || parts.length > 3) throw new NumberFormatException();
            int n = Integer.parseInt(parts[1]);
            long seed = parts.length == 3 ? Long.parseLong(parts[2]) : 42;
            if (n < 1) throw new NumberFormatException();
            return forInputs(inputs, n, seed, dynamicDim);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("data " + spec + ": expected random:N or random:N:SEED with N ≥ 1");
        }
    }

    public static Dataset forModel(OrtModel model, int n, long seed) {
        return forInputs(model.inputs(), n, seed, DYNAMIC_DIM);
    }

    private static Dataset forInputs(List<OrtModel.Input> inputs, int n, long seed, int dynamicDim) {
        SplittableRandom root = new SplittableRandom(seed);
        List<Dataset.NamedArray> arrays = new ArrayList<>();
        for (OrtModel.Input in : inputs) {
            SplittableRandom rnd = root.split();
            long[] declared = in.shape();
            int[] shape = new int[Math.max(1, declared.length)];
            shape[0] = n;
            for (int i = 1; i < declared.length; i++) shape[i] = declared[i] < 0 ? dynamicDim : Math.toIntExact(declared[i]);
            float[] v = new float[Math.toIntExact(NdArray.elementCount(shape, in.name()))];
            String name = in.name().toLowerCase(Locale.ROOT);
            int last = shape.length > 1 ? shape[shape.length - 1] : 1;
            boolean floating = in.type() == OnnxJavaType.FLOAT || in.type() == OnnxJavaType.DOUBLE || in.type() == OnnxJavaType.FLOAT16;
            for (int i = 0; i < v.length; i++) {
                if (floating) v[i] = (float) rnd.nextGaussian();
                else if (in.type() == OnnxJavaType.BOOL || name.contains("mask")) v[i] = 1;
                else if (name.contains("type")) v[i] = 0;
                else if (name.contains("position")) v[i] = i % last;
                else v[i] = rnd.nextInt(in.type() == OnnxJavaType.INT8 ? 128 : in.type() == OnnxJavaType.UINT8 ? 256 : 1000);
            }
            arrays.add(new Dataset.NamedArray(in.name(), new NdArray(shape, v)));
        }
        return new Dataset("random:" + n + ":" + seed, arrays, null);
    }
}

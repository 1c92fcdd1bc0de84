package org.ternary4j.qat.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.onnx.ElementType;
import org.ternary4j.formats.onnx.ValueInfo;

/**
 * The user's examples matched to the model's runtime inputs: one unnamed array feeds a one-input
 * model, otherwise arrays go by input name. Integer inputs (token ids) are fed as INT64. With a
 * {@value #TOKEN_MASK} input, a batch is cut after its last real token: the padding columns every
 * example of the batch shares change nothing the model computes for the real tokens, and cost as
 * much as real ones (short texts padded to the longest of a file are most of a step's work).
 */
final class Inputs {
    private final List<String> names = new ArrayList<>();
    private final List<NdArray> arrays = new ArrayList<>();
    private final List<DataType> types = new ArrayList<>();
    private final int count;
    /** Per example, one past its last real token; null without a token mask. */
    private final int[] lengths;
    private final String source;

    Inputs(Dataset data, List<ValueInfo> modelInputs, String file) {
        source = data.source();
        for (ValueInfo v : modelInputs) {
            Optional<Dataset.NamedArray> a = data.inputs().stream().filter(n -> v.name().equals(n.name())).findFirst();
            // The single-array form: an unnamed array, or one named 'x', feeds a one-input model whatever its input is called.
            Dataset.NamedArray only = data.inputs().get(0);
            if (a.isEmpty() && modelInputs.size() == 1 && data.inputs().size() == 1 && (only.name() == null || only.name().equals("x"))) a = Optional.of(only);
            if (a.isEmpty()) throw new IllegalArgumentException(data.source() + ": no array for the model input '" + v.name() + "' of " + file);
            names.add(v.name());
            arrays.add(a.get().array());
            ElementType t = v.type().orElse(ElementType.FLOAT);
            types.add(t.isFloat() ? DataType.FLOAT32 : t == ElementType.INT32 ? DataType.INT32 : DataType.INT64);
            for (float x : a.get().array().data()) {
                if (!Float.isFinite(x)) throw new IllegalArgumentException(data.source() + ": array '" + v.name() + "' holds " + x);
            }
        }
        count = data.count();
        lengths = realLengths();
    }

    private int[] realLengths() {
        int k = names.indexOf(TOKEN_MASK);
        if (k < 0 || arrays.get(k).shape().length != 2) return null;
        NdArray a = arrays.get(k);
        int per = a.exampleSize();
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            for (int j = per; j > 0; j--) {
                if (a.data()[i * per + j - 1] != 0) {
                    out[i] = j;
                    break;
                }
            }
        }
        return out;
    }

    /** The file the examples came from. */
    String source() {
        return source;
    }

    /** Per example, one past its last real token (a copy), or null without a token mask. */
    int[] lengths() {
        return lengths == null ? null : lengths.clone();
    }

    /** Token positions the examples at {@code idx} are fed with: up to the last real token of any of them; 0 without a token mask. */
    int length(int[] idx) {
        if (lengths == null) return 0;
        int l = 1;
        for (int i : idx) l = Math.max(l, lengths[i]);
        return l;
    }

    /** Token positions stored per example (the padded width), or 0 without a token mask. */
    int tokens() {
        return lengths == null ? 0 : arrays.get(names.indexOf(TOKEN_MASK)).shape()[1];
    }

    /**
     * {@code order} cut into batches of {@code size}; with a token mask, each window of
     * {@value #BUCKET_WINDOW} batches is sorted by length first (so a batch's texts are of similar
     * length) and its batches shuffled, so that the step order stays random.
     */
    List<int[]> batches(int[] order, int size, java.util.Random random) {
        List<int[]> out = new ArrayList<>();
        int window = lengths == null ? size : size * BUCKET_WINDOW;
        for (int from = 0; from < order.length; from += window) {
            int[] w = java.util.Arrays.copyOfRange(order, from, Math.min(order.length, from + window));
            if (lengths != null) {
                w = java.util.Arrays.stream(w).boxed().sorted(java.util.Comparator.comparingInt(i -> lengths[i])).mapToInt(Integer::intValue).toArray();
            }
            List<int[]> part = new ArrayList<>();
            for (int s = 0; s < w.length; s += size) part.add(java.util.Arrays.copyOfRange(w, s, Math.min(w.length, s + size)));
            if (lengths != null) java.util.Collections.shuffle(part, random);
            out.addAll(part);
        }
        return out;
    }

    static final int BUCKET_WINDOW = 16;

    /** The input marking real tokens (BERT-style models), [examples, tokens] with 0 for padding. */
    static final String TOKEN_MASK = "attention_mask";

    /**
     * The {@value #TOKEN_MASK} rows of the examples at {@code idx} as FLOAT32 [n, tokens], or null
     * when the model has no such two-dimensional input.
     */
    NDArray tokenMask(NDManager m, int[] idx) {
        int k = names.indexOf(TOKEN_MASK);
        if (k < 0 || arrays.get(k).shape().length != 2) return null;
        NdArray a = arrays.get(k);
        int per = a.exampleSize(), l = length(idx);
        float[] v = new float[idx.length * l];
        for (int i = 0; i < idx.length; i++) {
            for (int j = 0; j < l; j++) v[i * l + j] = a.data()[idx[i] * per + j] != 0 ? 1f : 0f;
        }
        return m.create(v, new Shape(idx.length, l));
    }

    List<String> names() {
        return names;
    }

    int count() {
        return count;
    }

    /** The examples at {@code idx}, one array per model input (token inputs cut at {@link #length}), owned by {@code m}. */
    NDList batch(NDManager m, int[] idx) {
        NDList out = new NDList();
        int tokens = tokens(), l = length(idx);
        for (int k = 0; k < arrays.size(); k++) {
            NdArray a = arrays.get(k);
            int per = a.exampleSize();
            // Inputs with the mask's token axis ([examples, tokens, ...]) are cut; any other input is fed whole.
            boolean cut = lengths != null && a.shape().length >= 2 && a.shape()[1] == tokens;
            int keep = cut ? l * (per / tokens) : per;
            float[] v = new float[idx.length * keep];
            for (int i = 0; i < idx.length; i++) System.arraycopy(a.data(), idx[i] * per, v, i * keep, keep);
            long[] shape = new long[a.shape().length];
            shape[0] = idx.length;
            for (int d = 1; d < shape.length; d++) shape[d] = a.shape()[d];
            if (cut) shape[1] = l;
            NDArray x = m.create(v, new Shape(shape));
            out.add(types.get(k) == DataType.FLOAT32 ? x : x.toType(types.get(k), false));
        }
        return out;
    }

    static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) r[i] = from + i;
        return r;
    }
}

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
 * model, otherwise arrays go by input name. Integer inputs (token ids) are fed as INT64.
 */
final class Inputs {
    private final List<String> names = new ArrayList<>();
    private final List<NdArray> arrays = new ArrayList<>();
    private final List<DataType> types = new ArrayList<>();
    private final int count;

    Inputs(Dataset data, List<ValueInfo> modelInputs, String file) {
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
    }

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
        int per = a.exampleSize();
        float[] v = new float[idx.length * per];
        for (int i = 0; i < idx.length; i++) {
            for (int j = 0; j < per; j++) v[i * per + j] = a.data()[idx[i] * per + j] != 0 ? 1f : 0f;
        }
        return m.create(v, new Shape(idx.length, per));
    }

    List<String> names() {
        return names;
    }

    int count() {
        return count;
    }

    /** The examples at {@code idx}, one array per model input, owned by {@code m}. */
    NDList batch(NDManager m, int[] idx) {
        NDList out = new NDList();
        for (int k = 0; k < arrays.size(); k++) {
            NdArray a = arrays.get(k);
            int per = a.exampleSize();
            float[] v = new float[idx.length * per];
            for (int i = 0; i < idx.length; i++) System.arraycopy(a.data(), idx[i] * per, v, i * per, per);
            long[] shape = new long[a.shape().length];
            shape[0] = idx.length;
            for (int d = 1; d < shape.length; d++) shape[d] = a.shape()[d];
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

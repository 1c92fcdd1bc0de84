package org.ternary4j.eval.ort;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.data.NdArray;

/**
 * How a data set's arrays feed a model's inputs: which array goes to which input and how each
 * example is reshaped to the declared shape. The first declared dimension is the batch: dynamic
 * (any batch size) or fixed (batches of exactly that size, the last one padded by repeating its
 * final example; padded outputs are dropped). Integer inputs take only whole numbers: the data's
 * floats are converted to the input's type when fed, and a fraction there means the wrong array.
 */
public final class InputPlan {

    /** One model input, its data, and the resolved shape of one example. */
    public record Binding(OrtModel.Input input, NdArray data, long[] exampleShape) {}

    private static final Set<OnnxJavaType> INTEGER = EnumSet.of(OnnxJavaType.INT64, OnnxJavaType.INT32, OnnxJavaType.INT16,
            OnnxJavaType.INT8, OnnxJavaType.UINT8);
    private static final Set<OnnxJavaType> SUPPORTED = EnumSet.of(OnnxJavaType.FLOAT, OnnxJavaType.DOUBLE, OnnxJavaType.FLOAT16,
            OnnxJavaType.INT64, OnnxJavaType.INT32, OnnxJavaType.INT16, OnnxJavaType.INT8, OnnxJavaType.UINT8, OnnxJavaType.BOOL);

    private final List<Binding> bindings;
    private final int fixedBatch; // 0 when every input takes any batch size

    private InputPlan(List<Binding> bindings, int fixedBatch) {
        this.bindings = bindings;
        this.fixedBatch = fixedBatch;
    }

    public static InputPlan of(OrtModel model, Dataset data) throws IOException {
        return of(model.file().toString(), model.inputs(), data);
    }

    /** The plan for feeding {@code data} to a model (named {@code file} in messages) that declares {@code inputs}. */
    public static InputPlan of(String file, List<OrtModel.Input> inputs, Dataset data) throws IOException {
        List<Binding> bindings = new ArrayList<>();
        boolean unnamed = data.inputs().size() == 1 && data.inputs().get(0).name() == null;
        if (unnamed && inputs.size() != 1) {
            throw new IOException(data.source() + ": one unnamed array 'x', but the model has " + inputs.size() + " inputs " + inputs
                    + " (" + file + "); give an .npz with one array per input name");
        }
        Map<String, NdArray> byName = new LinkedHashMap<>();
        for (Dataset.NamedArray a : data.inputs()) byName.put(a.name(), a.array());
        int fixed = 0;
        for (OrtModel.Input in : inputs) {
            NdArray array = unnamed ? data.inputs().get(0).array() : byName.get(in.name());
            if (array == null) {
                throw new IOException(data.source() + ": no array for model input '" + in.name() + "' (arrays: " + byName.keySet() + ")");
            }
            if (!SUPPORTED.contains(in.type())) {
                throw new IOException(file + ": input '" + in.name() + "' has type " + in.type() + "; supported: " + SUPPORTED);
            }
            long[] shape = in.shape();
            if (shape.length == 0) throw new IOException(file + ": input '" + in.name() + "' is a scalar; cannot batch examples into it");
            long[] example = fit(Arrays.copyOfRange(shape, 1, shape.length), array);
            if (example == null) {
                throw new IOException(data.source() + ": array " + arrayName(unnamed, in) + " has examples of shape " + Arrays.toString(array.exampleShape())
                        + ", which do not fit model input " + in + " (" + file + ")");
            }
            if (INTEGER.contains(in.type())) requireWhole(data.source(), arrayName(unnamed, in), in, array);
            if (shape[0] > 0) {
                if (fixed != 0 && fixed != shape[0]) throw new IOException(file + ": inputs declare different fixed batch sizes");
                fixed = (int) shape[0];
            }
            bindings.add(new Binding(in, array, example));
        }
        if (!unnamed) {
            for (String name : byName.keySet()) {
                if (inputs.stream().noneMatch(i -> i.name().equals(name))) {
                    throw new IOException(data.source() + ": array '" + name + "' matches no model input " + inputs);
                }
            }
        }
        return new InputPlan(List.copyOf(bindings), fixed);
    }

    private static String arrayName(boolean unnamed, OrtModel.Input in) {
        return "'" + (unnamed ? "x" : in.name()) + "'";
    }

    private static void requireWhole(String source, String array, OrtModel.Input in, NdArray data) throws IOException {
        float[] v = data.data();
        for (int i = 0; i < v.length; i++) {
            if (v[i] != Math.rint(v[i])) {
                throw new IOException(source + ": array " + array + " holds " + v[i] + " at example " + i / Math.max(1, data.exampleSize())
                        + ", but model input " + in + " takes whole numbers");
            }
        }
    }

    /**
     * The shape of one example as the model wants it, or null when the data cannot take it:
     * fixed dimensions must multiply to the example size; dynamic ones take the data's own
     * dimensions (same rank) or, if only one is dynamic, whatever the size leaves for it.
     */
    static long[] fit(long[] declared, NdArray array) {
        int[] have = array.exampleShape();
        long size = array.exampleSize();
        long fixedProduct = 1;
        int dynamic = -1, dynamicCount = 0;
        for (int i = 0; i < declared.length; i++) {
            if (declared[i] < 0) {
                dynamic = i;
                dynamicCount++;
            } else {
                fixedProduct *= declared[i];
            }
        }
        if (dynamicCount == 0) return fixedProduct == size ? declared.clone() : null;
        if (have.length == declared.length) {
            boolean ok = true;
            for (int i = 0; i < declared.length; i++) ok &= declared[i] < 0 || declared[i] == have[i];
            if (ok) return Arrays.stream(have).asLongStream().toArray();
        }
        if (dynamicCount == 1 && fixedProduct > 0 && size % fixedProduct == 0) {
            long[] s = declared.clone();
            s[dynamic] = size / fixedProduct;
            return s;
        }
        return null;
    }

    /** The model's inputs in declared order, each with its data (for engines other than ONNX Runtime). */
    public List<Binding> bindings() {
        return bindings;
    }

    /** The batch size to use: the model's fixed batch if it has one, else {@code wanted}. */
    public int batchSize(int wanted) {
        return fixedBatch > 0 ? fixedBatch : wanted;
    }

    /** How many examples a batch [from, to) feeds, padding included. */
    public int rows(int from, int to, int batch) {
        return fixedBatch > 0 ? batch : to - from;
    }

    /**
     * Tensors for examples [from, to), padded to {@code batch} examples by repeating the last
     * one when the model's batch size is fixed. The caller closes them.
     */
    public Map<String, OnnxTensor> tensors(OrtEnvironment env, int from, int to, int batch) throws OrtException {
        Map<String, OnnxTensor> out = new LinkedHashMap<>();
        try {
            for (Binding b : bindings) {
                int per = b.data().exampleSize();
                int rows = rows(from, to, batch);
                float[] values = new float[rows * per];
                System.arraycopy(b.data().data(), from * per, values, 0, (to - from) * per);
                for (int r = to - from; r < rows; r++) System.arraycopy(b.data().data(), (to - 1) * per, values, r * per, per);
                long[] shape = new long[b.exampleShape().length + 1];
                shape[0] = rows;
                System.arraycopy(b.exampleShape(), 0, shape, 1, b.exampleShape().length);
                out.put(b.input().name(), Tensors.create(env, b.input().type(), values, shape));
            }
            return out;
        } catch (OrtException | RuntimeException e) {
            out.values().forEach(OnnxTensor::close);
            throw e;
        }
    }
}

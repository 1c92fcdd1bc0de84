package org.ternary4j.formats.onnx;

import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.IOException;
import java.util.Arrays;
import java.util.Optional;

/**
 * A stored tensor of a model (an initializer, a Constant node's value or another tensor
 * attribute): name, element type and shape at once, values decoded on request from raw_data,
 * the typed fields or external data, through the one decoder of this package.
 */
public final class OnnxTensor {
    private final TensorProto proto;
    private final OnnxModel model;
    private final String name;
    private final int[] shape;

    OnnxTensor(TensorProto proto, String name, OnnxModel model) throws IOException {
        this.proto = proto;
        this.model = model;
        this.name = name;
        this.shape = TensorCodec.shape(proto, where(model, name));
        TensorCodec.checkedCount(proto, where(model, name));   // one way of storing the values, checked when the model is read
    }

    private static String where(OnnxModel model, String name) {
        return model.file() + ": tensor '" + name + "'";
    }

    public String name() {
        return name;
    }

    /** The element type, empty for types without a fixed size (strings, complex, 4-bit, 8-bit floats). */
    public Optional<ElementType> type() {
        return ElementType.of(proto.getDataType());
    }

    public int[] shape() {
        return shape.clone();
    }

    public int count() {
        return TensorCodec.count(shape);
    }

    public boolean external() {
        return TensorCodec.isExternal(proto);
    }

    /** The values of a FLOAT, FLOAT16, BFLOAT16 or DOUBLE tensor as floats. */
    public float[] floats() throws IOException {
        Optional<FloatType> t = FloatType.of(proto.getDataType());
        if (t.isEmpty()) throw new IOException(where(model, name) + ": " + ElementType.describe(proto.getDataType()) + ", not a float type");
        return TensorCodec.decode(proto, t.get(), model.externalData(), where(model, name));
    }

    /** The values of an integer or BOOL tensor as longs (unsigned types zero-extended). */
    public long[] longs() throws IOException {
        return TensorCodec.decodeIntegers(proto, model.externalData(), where(model, name));
    }

    TensorProto proto() {
        return proto;
    }

    @Override
    public String toString() {
        return name + " " + type().map(Enum::name).orElse("?") + Arrays.toString(shape);
    }
}

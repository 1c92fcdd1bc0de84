package org.ternary4j.runtime.graph;

import ai.onnx.proto.OnnxMl;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** ONNX TensorProto and node attributes → {@link Tensor} and Java values. */
final class Protos {
    private Protos() {}

    static int[] dims(OnnxMl.TensorProto t) {
        int[] d = new int[t.getDimsCount()];
        for (int i = 0; i < d.length; i++) d[i] = Math.toIntExact(t.getDims(i));
        return d;
    }

    static Tensor tensor(OnnxMl.TensorProto t) {
        String name = t.getName().isEmpty() ? "(unnamed)" : t.getName();
        if (t.getDataLocation() == OnnxMl.TensorProto.DataLocation.EXTERNAL) {
            throw new IllegalArgumentException("tensor '" + name + "': external data is not supported by the runtime; load the model with its data inlined");
        }
        int[] shape = dims(t);
        int n = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        boolean hasRaw = !t.getRawData().isEmpty();
        OnnxMl.TensorProto.DataType type = OnnxMl.TensorProto.DataType.forNumber(t.getDataType());
        if (type == null) throw new IllegalArgumentException("tensor '" + name + "': unknown data type " + t.getDataType());
        switch (type) {
            case FLOAT -> {
                float[] d = new float[n];
                if (hasRaw) raw.asFloatBuffer().get(d);
                else for (int i = 0; i < n; i++) d[i] = t.getFloatData(i);
                return new Tensor.F32(shape, d);
            }
            case DOUBLE -> {
                float[] d = new float[n];
                for (int i = 0; i < n; i++) d[i] = (float) (hasRaw ? raw.getDouble(i * 8) : t.getDoubleData(i));
                return new Tensor.F32(shape, d);
            }
            case INT64 -> {
                long[] d = new long[n];
                if (hasRaw) raw.asLongBuffer().get(d);
                else for (int i = 0; i < n; i++) d[i] = t.getInt64Data(i);
                return new Tensor.I64(shape, d);
            }
            case INT32, INT8, UINT8, INT16, UINT16, BOOL -> {
                long[] d = new long[n];
                for (int i = 0; i < n; i++) d[i] = hasRaw ? rawInt(raw, type, i) : t.getInt32Data(i);
                return new Tensor.I64(shape, d);
            }
            default -> throw new IllegalArgumentException("tensor '" + name + "': data type " + type + " is not supported by the runtime");
        }
    }

    private static long rawInt(ByteBuffer raw, OnnxMl.TensorProto.DataType type, int i) {
        return switch (type) {
            case INT32 -> raw.getInt(i * 4);
            case INT16 -> raw.getShort(i * 2);
            case UINT16 -> raw.getShort(i * 2) & 0xffff;
            case INT8 -> raw.get(i);
            default -> raw.get(i) & 0xff;
        };
    }

    static OnnxMl.AttributeProto attr(OnnxMl.NodeProto n, String name) {
        for (OnnxMl.AttributeProto a : n.getAttributeList()) if (a.getName().equals(name)) return a;
        return null;
    }

    static long intAttr(OnnxMl.NodeProto n, String name, long dflt) {
        OnnxMl.AttributeProto a = attr(n, name);
        return a == null ? dflt : a.getI();
    }

    static float floatAttr(OnnxMl.NodeProto n, String name, float dflt) {
        OnnxMl.AttributeProto a = attr(n, name);
        return a == null ? dflt : a.getF();
    }

    static String stringAttr(OnnxMl.NodeProto n, String name, String dflt) {
        OnnxMl.AttributeProto a = attr(n, name);
        return a == null ? dflt : a.getS().toStringUtf8();
    }

    /** An ints attribute, or null when absent. */
    static long[] intsAttr(OnnxMl.NodeProto n, String name) {
        OnnxMl.AttributeProto a = attr(n, name);
        if (a == null) return null;
        long[] v = new long[a.getIntsCount()];
        for (int i = 0; i < v.length; i++) v[i] = a.getInts(i);
        return v;
    }

    static int[] toInts(long[] v) {
        if (v == null) return null;
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) r[i] = Math.toIntExact(v[i]);
        return r;
    }
}

package org.ternary4j.eval.ort;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;

/** Conversions between float arrays and ONNX Runtime tensors of the model's element type. */
final class Tensors {
    private Tensors() {}

    /** A tensor of {@code type} holding {@code values} (integer types get the rounded values). */
    static OnnxTensor create(OrtEnvironment env, OnnxJavaType type, float[] values, long[] shape) throws OrtException {
        int n = values.length;
        return switch (type) {
            case FLOAT -> OnnxTensor.createTensor(env, FloatBuffer.wrap(values), shape);
            case DOUBLE -> {
                double[] d = new double[n];
                for (int i = 0; i < n; i++) d[i] = values[i];
                yield OnnxTensor.createTensor(env, DoubleBuffer.wrap(d), shape);
            }
            case INT64 -> {
                long[] l = new long[n];
                for (int i = 0; i < n; i++) l[i] = Math.round((double) values[i]);
                yield OnnxTensor.createTensor(env, LongBuffer.wrap(l), shape);
            }
            case INT32 -> {
                int[] a = new int[n];
                for (int i = 0; i < n; i++) a[i] = Math.round(values[i]);
                yield OnnxTensor.createTensor(env, IntBuffer.wrap(a), shape);
            }
            case INT16 -> {
                short[] a = new short[n];
                for (int i = 0; i < n; i++) a[i] = (short) Math.round(values[i]);
                yield OnnxTensor.createTensor(env, ShortBuffer.wrap(a), shape);
            }
            case INT8, UINT8, BOOL -> {
                byte[] a = new byte[n];
                for (int i = 0; i < n; i++) a[i] = type == OnnxJavaType.BOOL ? (byte) (values[i] != 0 ? 1 : 0) : (byte) Math.round(values[i]);
                yield OnnxTensor.createTensor(env, ByteBuffer.wrap(a), shape, type);
            }
            case FLOAT16 -> {
                short[] a = new short[n];
                for (int i = 0; i < n; i++) a[i] = Float.floatToFloat16(values[i]);
                yield OnnxTensor.createTensor(env, ShortBuffer.wrap(a), shape, type);
            }
            default -> throw new IllegalArgumentException("inputs of type " + type + " are not supported");
        };
    }

    static float[] toFloats(OnnxTensor t, String what) throws IOException {
        OnnxJavaType type = t.getInfo().type;
        float[] out;
        switch (type) {
            case FLOAT, FLOAT16, BFLOAT16 -> {
                FloatBuffer b = t.getFloatBuffer(); // ONNX Runtime widens 16-bit floats itself
                out = new float[b.remaining()];
                b.get(out);
            }
            case DOUBLE -> {
                DoubleBuffer b = t.getDoubleBuffer();
                out = new float[b.remaining()];
                for (int i = 0; i < out.length; i++) out[i] = (float) b.get(i);
            }
            case INT64 -> {
                LongBuffer b = t.getLongBuffer();
                out = new float[b.remaining()];
                for (int i = 0; i < out.length; i++) out[i] = b.get(i);
            }
            case INT32 -> {
                IntBuffer b = t.getIntBuffer();
                out = new float[b.remaining()];
                for (int i = 0; i < out.length; i++) out[i] = b.get(i);
            }
            case INT8, UINT8, BOOL -> {
                ByteBuffer b = t.getByteBuffer();
                out = new float[b.remaining()];
                for (int i = 0; i < out.length; i++) out[i] = type == OnnxJavaType.UINT8 ? b.get(i) & 0xff : b.get(i);
            }
            default -> throw new IOException(what + " has type " + type + "; only numeric outputs can be scored");
        }
        return out;
    }
}

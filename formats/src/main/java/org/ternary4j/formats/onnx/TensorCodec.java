package org.ternary4j.formats.onnx;

import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import shade.com.google.protobuf.ByteString;

/**
 * The one ONNX tensor decoder: reads a float-like tensor into a float array (an integer one into a
 * long array) from raw_data, typed fields or external data, and writes float values back in the tensor's own
 * representation: raw_data stays raw_data (little-endian), typed fields stay typed fields
 * (float_data; int32_data holding the bits of FLOAT16/BFLOAT16; double_data).
 */
final class TensorCodec {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int CHUNK = 1 << 20;

    private TensorCodec() {}

    static int[] shape(TensorProto t, String where) throws IOException {
        int[] s = new int[t.getDimsCount()];
        long n = 1;
        for (int i = 0; i < s.length; i++) {
            long d = t.getDims(i);
            if (d < 0 || d > Integer.MAX_VALUE) throw new IOException(where + ": bad dimension " + d);
            s[i] = (int) d;
            n *= d;
            if (n > Integer.MAX_VALUE - 8) throw new IOException(where + ": more elements than one array can hold");
        }
        return s;
    }

    static int count(int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    static boolean isExternal(TensorProto t) {
        return t.getDataLocation() == TensorProto.DataLocation.EXTERNAL;
    }

    /** Reads the n values of a tensor stored as bytes (external data or raw_data) from a segment. */
    private interface SegmentReader<T> {
        T read(MemorySegment bytes, int n);
    }

    /**
     * The values of a tensor stored as bytes (external data or raw_data, {@code bytesPer} each),
     * or null when it keeps them in the typed fields.
     */
    private static <T> T fromBytes(TensorProto t, int n, int bytesPer, ExternalData external, String where, SegmentReader<T> reader) throws IOException {
        if (isExternal(t)) {
            ExternalData.Range r = external.range(t, (long) n * bytesPer);
            try (Arena arena = Arena.ofConfined()) {
                return reader.read(external.map(r, arena), n);
            }
        }
        if (!t.hasRawData()) return null;
        ByteString raw = t.getRawData();
        if (raw.size() != (long) n * bytesPer) {
            throw new IOException(where + ": raw_data has " + raw.size() + " bytes, shape and type need " + (long) n * bytesPer);
        }
        return reader.read(MemorySegment.ofBuffer(raw.asReadOnlyByteBuffer()), n);
    }

    static float[] decode(TensorProto t, FloatType type, ExternalData external, String where) throws IOException {
        int typed = switch (type) {
            case FLOAT -> t.getFloatDataCount();
            case FLOAT16, BFLOAT16 -> t.getInt32DataCount();
            case DOUBLE -> t.getDoubleDataCount();
        };
        return decode(t, type.bytes, external, where, (seg, n) -> fromSegment(seg, type, n), typed, n -> {
            float[] out = new float[n];
            for (int i = 0; i < n; i++) {
                out[i] = switch (type) {
                    case FLOAT -> t.getFloatData(i);
                    case FLOAT16, BFLOAT16 -> type.fromBits16((short) t.getInt32Data(i));
                    case DOUBLE -> (float) t.getDoubleData(i);
                };
            }
            return out;
        });
    }

    /**
     * The one decoding path: the values from external data or raw_data when the tensor keeps them as
     * bytes, else from its {@code typedCount} typed-field values.
     */
    private static <T> T decode(TensorProto t, int bytesPer, ExternalData external, String where, SegmentReader<T> bytes, int typedCount,
                                java.util.function.IntFunction<T> typed) throws IOException {
        int n = checkedCount(t, where);
        T stored = fromBytes(t, n, bytesPer, external, where, bytes);
        if (stored != null) return stored;
        checkCount(typedCount, n, where);
        return typed.apply(n);
    }

    /** Checked before allocating: a hostile shape must not cost an array of its size. */
    private static void checkCount(int have, int n, String where) throws IOException {
        if (have != n) throw new IOException(where + ": " + have + " stored values for " + n + " elements");
    }

    /** The element count of a tensor that stores its values one way: raw_data, external data or the typed fields. */
    static int checkedCount(TensorProto t, String where) throws IOException {
        if (t.hasSegment()) throw new IOException(where + ": segmented tensors are not supported");
        int typed = t.getFloatDataCount() + t.getInt32DataCount() + t.getInt64DataCount() + t.getDoubleDataCount()
                + t.getUint64DataCount() + t.getStringDataCount();
        if (t.hasRawData() && typed > 0) throw new IOException(where + ": has both raw_data and typed values; refused (which one holds the tensor?)");
        if (isExternal(t) && (t.hasRawData() || typed > 0)) throw new IOException(where + ": external data and embedded values at once; refused");
        return count(shape(t, where));
    }

    /** An integer or BOOL tensor's values as longs (unsigned types zero-extended). */
    static long[] decodeIntegers(TensorProto t, ExternalData external, String where) throws IOException {
        ElementType type = ElementType.of(t.getDataType()).filter(e -> !e.isFloat())
                .orElseThrow(() -> new IOException(where + ": " + ElementType.describe(t.getDataType()) + ", not an integer type"));
        int typed = switch (type) {
            case INT64 -> t.getInt64DataCount();
            case UINT32, UINT64 -> t.getUint64DataCount();
            default -> t.getInt32DataCount();
        };
        return decode(t, type.bytes, external, where, (seg, n) -> integersFromSegment(seg, type, n), typed, n -> {
            long[] out = new long[n];
            for (int i = 0; i < n; i++) {
                out[i] = switch (type) {
                    case INT64 -> t.getInt64Data(i);
                    case UINT32, UINT64 -> t.getUint64Data(i);
                    case UINT8 -> t.getInt32Data(i) & 0xFF;
                    case UINT16 -> t.getInt32Data(i) & 0xFFFF;
                    default -> t.getInt32Data(i);
                };
            }
            return out;
        });
    }

    private static long[] integersFromSegment(MemorySegment seg, ElementType type, int n) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            long at = (long) i * type.bytes;
            out[i] = switch (type) {
                case INT8, BOOL -> seg.get(ValueLayout.JAVA_BYTE, at);
                case UINT8 -> seg.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
                case INT16 -> seg.get(I16, at);
                case UINT16 -> seg.get(I16, at) & 0xFFFF;
                case INT32 -> seg.get(I32, at);
                case UINT32 -> seg.get(I32, at) & 0xFFFF_FFFFL;
                default -> seg.get(I64, at);
            };
        }
        return out;
    }

    private static float[] fromSegment(MemorySegment seg, FloatType type, int n) {
        float[] out = new float[n];
        switch (type) {
            case FLOAT -> MemorySegment.copy(seg, F32, 0, out, 0, n);
            case FLOAT16, BFLOAT16 -> {
                short[] s = new short[Math.min(n, CHUNK)];
                for (int from = 0; from < n; from += s.length) {
                    int m = Math.min(s.length, n - from);
                    MemorySegment.copy(seg, I16, (long) from * 2, s, 0, m);
                    for (int i = 0; i < m; i++) out[from + i] = type.fromBits16(s[i]);
                }
            }
            case DOUBLE -> {
                double[] d = new double[Math.min(n, CHUNK)];
                for (int from = 0; from < n; from += d.length) {
                    int m = Math.min(d.length, n - from);
                    MemorySegment.copy(seg, F64, (long) from * 8, d, 0, m);
                    for (int i = 0; i < m; i++) out[from + i] = (float) d[i];
                }
            }
        }
        return out;
    }

    /** Replaces the values of an embedded tensor, keeping raw_data or typed fields as they were. */
    static void encodeEmbedded(TensorProto.Builder t, FloatType type, float[] v) {
        if (t.hasRawData()) {
            ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(v.length, type.bytes)).order(ByteOrder.LITTLE_ENDIAN);
            put(b, type, v, 0, v.length);
            t.setRawData(ByteString.copyFrom(b.array()));
            return;
        }
        switch (type) {
            case FLOAT -> {
                t.clearFloatData();
                for (float f : v) t.addFloatData(f);
            }
            case FLOAT16, BFLOAT16 -> {
                t.clearInt32Data();
                for (float f : v) t.addInt32Data(type.toBits16(f) & 0xFFFF);
            }
            case DOUBLE -> {
                t.clearDoubleData();
                for (float f : v) t.addDoubleData(f);
            }
        }
    }

    /** Writes values little-endian in chunks, so a tensor over 2 GB needs no byte array of its size. */
    static void write(FileChannel out, FloatType type, float[] v) throws IOException {
        ByteBuffer b = ByteBuffer.allocateDirect(CHUNK * type.bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int from = 0; from < v.length; from += CHUNK) {
            int m = Math.min(CHUNK, v.length - from);
            b.clear();
            put(b, type, v, from, m);
            b.flip();
            while (b.hasRemaining()) out.write(b);
        }
    }

    private static void put(ByteBuffer b, FloatType type, float[] v, int from, int m) {
        for (int i = from; i < from + m; i++) {
            switch (type) {
                case FLOAT -> b.putFloat(v[i]);
                case FLOAT16, BFLOAT16 -> b.putShort(type.toBits16(v[i]));
                case DOUBLE -> b.putDouble(v[i]);
            }
        }
    }

    static String describe(int[] shape) {
        return Arrays.toString(shape);
    }
}

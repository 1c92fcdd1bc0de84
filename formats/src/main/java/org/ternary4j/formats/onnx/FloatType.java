package org.ternary4j.formats.onnx;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.Optional;

/** The ONNX element types a weight may have here: what each costs in bytes and how it rounds a float. */
enum FloatType {
    FLOAT(DataType.FLOAT_VALUE, 4),
    FLOAT16(DataType.FLOAT16_VALUE, 2),
    BFLOAT16(DataType.BFLOAT16_VALUE, 2),
    DOUBLE(DataType.DOUBLE_VALUE, 8);

    final int onnxType;
    final int bytes;

    FloatType(int onnxType, int bytes) {
        this.onnxType = onnxType;
        this.bytes = bytes;
    }

    static Optional<FloatType> of(int onnxType) {
        for (FloatType t : values()) if (t.onnxType == onnxType) return Optional.of(t);
        return Optional.empty();
    }

    /** The 16 stored bits of a half-width type (round to nearest even). */
    short toBits16(float f) {
        if (this == FLOAT16) return Float.floatToFloat16(f);
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    float fromBits16(short s) {
        return this == FLOAT16 ? Float.float16ToFloat(s) : Float.intBitsToFloat((s & 0xFFFF) << 16);
    }

    /** The float that storing {@code f} in this type and reading it back gives. */
    float round(float f) {
        return switch (this) {
            case FLOAT, DOUBLE -> f;
            case FLOAT16, BFLOAT16 -> fromBits16(toBits16(f));
        };
    }
}

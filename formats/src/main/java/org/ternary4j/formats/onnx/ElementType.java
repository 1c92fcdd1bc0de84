package org.ternary4j.formats.onnx;

import java.util.Optional;

/** ONNX tensor element types (TensorProto.DataType) that have a fixed size. */
public enum ElementType {
    FLOAT(1, 4), UINT8(2, 1), INT8(3, 1), UINT16(4, 2), INT16(5, 2), INT32(6, 4), INT64(7, 8),
    BOOL(9, 1), FLOAT16(10, 2), DOUBLE(11, 8), UINT32(12, 4), UINT64(13, 8), BFLOAT16(16, 2);

    /** The number ONNX stores in {@code data_type}. */
    public final int onnxType;
    public final int bytes;

    ElementType(int onnxType, int bytes) {
        this.onnxType = onnxType;
        this.bytes = bytes;
    }

    public static Optional<ElementType> of(int onnxType) {
        for (ElementType t : values()) if (t.onnxType == onnxType) return Optional.of(t);
        return Optional.empty();
    }

    /** FLOAT, FLOAT16, BFLOAT16 and DOUBLE: decoded as {@code float}. */
    public boolean isFloat() {
        return this == FLOAT || this == FLOAT16 || this == BFLOAT16 || this == DOUBLE;
    }

    /** A name for messages, as ONNX spells the type. */
    public static String describe(int onnxType) {
        return of(onnxType).map(Enum::name).orElse("data type " + onnxType);
    }
}

package org.ternary4j.formats.gguf;

import java.util.List;

/** A metadata value of a GGUF file, with its GGUF value type number ({@code enum gguf_type}). */
public sealed interface GgufValue {
    /** GGUF's number for the value's type; both arrays are type 9 (array), told apart by their element type. */
    default int typeId() {
        return switch (this) {
            case U32 u -> 4;
            case I32 i -> 5;
            case F32 f -> 6;
            case Bool b -> 7;
            case Str s -> 8;
            case U64 u -> 10;
            case StrArray a -> 9;
            case I32Array a -> 9;
        };
    }

    record U32(int value) implements GgufValue {}

    record I32(int value) implements GgufValue {}

    record F32(float value) implements GgufValue {}

    record Bool(boolean value) implements GgufValue {}

    record Str(String value) implements GgufValue {}

    record U64(long value) implements GgufValue {}

    /** An array of strings (GGUF type 9 with element type 8), as tokenizer vocabularies are stored. */
    record StrArray(List<String> values) implements GgufValue {
        public StrArray {
            values = List.copyOf(values);
        }
    }

    /** An array of int32 (GGUF type 9 with element type 5), as tokenizer token types are stored. */
    record I32Array(int[] values) implements GgufValue {
        public I32Array {
            values = values.clone();
        }

        @Override
        public int[] values() {
            return values.clone();
        }
    }
}

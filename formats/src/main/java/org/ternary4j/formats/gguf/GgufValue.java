package org.ternary4j.formats.gguf;

import java.util.List;

/** A metadata value of a GGUF file, with its GGUF value type number ({@code enum gguf_type}). */
public sealed interface GgufValue {
    int typeId();

    record U32(int value) implements GgufValue {
        public int typeId() { return 4; }
    }

    record I32(int value) implements GgufValue {
        public int typeId() { return 5; }
    }

    record F32(float value) implements GgufValue {
        public int typeId() { return 6; }
    }

    record Bool(boolean value) implements GgufValue {
        public int typeId() { return 7; }
    }

    record Str(String value) implements GgufValue {
        public int typeId() { return 8; }
    }

    record U64(long value) implements GgufValue {
        public int typeId() { return 10; }
    }

    /** An array of strings (GGUF type 9 with element type 8), as tokenizer vocabularies are stored. */
    record StrArray(List<String> values) implements GgufValue {
        public StrArray {
            values = List.copyOf(values);
        }

        public int typeId() { return 9; }
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

        public int typeId() { return 9; }
    }
}

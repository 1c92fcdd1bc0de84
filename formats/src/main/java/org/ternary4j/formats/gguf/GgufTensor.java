package org.ternary4j.formats.gguf;

import java.util.Arrays;

/**
 * A tensor as a GGUF file declares it. {@code shape} is row-major as in safetensors or PyTorch
 * ([rows, row length]); the file stores it reversed (ggml's {@code ne[0]} is the row length).
 */
public record GgufTensor(String name, long[] shape, GgufType type) {
    /** ggml's GGML_MAX_NAME, counting the terminating NUL. */
    static final int MAX_NAME_BYTES = 63;
    static final int MAX_DIMS = 4;

    public GgufTensor {
        shape = shape.clone();
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("tensor '" + name + "': name longer than ggml's " + MAX_NAME_BYTES + " bytes");
        }
        if (shape.length < 1 || shape.length > MAX_DIMS) throw new IllegalArgumentException("tensor '" + name + "': rank " + shape.length + ", GGUF holds 1 to 4");
        for (long d : shape) if (d < 1) throw new IllegalArgumentException("tensor '" + name + "': dimension " + d + " in shape " + Arrays.toString(shape));
        long row = shape[shape.length - 1];
        if (row % type.blockSize != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': rows of " + row + " elements are not a multiple of " + type + "'s block of " + type.blockSize);
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elements() {
        return org.ternary4j.formats.safetensors.TensorSpec.elements(shape);
    }

    public long byteSize() {
        return Math.multiplyExact(elements() / shape[shape.length - 1], type.rowBytes(shape[shape.length - 1]));
    }
}

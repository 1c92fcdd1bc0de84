package org.ternary4j.formats.safetensors;

/** A tensor of a safetensors file: its declaration and where its bytes lie in the data section. */
public record TensorInfo(TensorSpec spec, long begin, long end) {

    public String name() {
        return spec.name();
    }

    public DType dtype() {
        return spec.dtype();
    }

    public long byteSize() {
        return end - begin;
    }
}

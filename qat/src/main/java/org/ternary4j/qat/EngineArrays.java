package org.ternary4j.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.function.BinaryOperator;

/**
 * Arrays the backward pass can safely read. DJL's PyTorch engine wraps data given from Java
 * without copying it (the tensor points into a direct buffer that only the Java array object keeps
 * alive), and its {@code mul(Number)}, {@code div(Number)}, … overloads make such a scalar and close
 * it right after the op. Autograd keeps the tensor for the backward pass, but once its Java owner
 * is closed the garbage collector may free the buffer: the gradients then read freed memory (NaN
 * weights after a few steps, more likely the more the step allocates). Arrays made here own their
 * memory on the engine side, so closing them early is harmless. Use them wherever a value made
 * from Java data, or a constant factor, meets a value that carries gradients.
 */
public final class EngineArrays {
    private EngineArrays() {}

    /** An engine-owned copy of {@code fromJava}, which is closed. */
    public static NDArray owned(NDArray fromJava) {
        NDArray copy = fromJava.duplicate();
        fromJava.close();
        return copy;
    }

    /** A 0-d array holding {@code v}, typed and placed like {@code like}. */
    public static NDArray scalar(NDArray like, float v) {
        return like.getManager().full(new Shape(), v, like.getDataType());
    }

    public static NDArray add(NDArray x, float v) {
        return withScalar(x, v, NDArray::add);
    }

    public static NDArray mul(NDArray x, float v) {
        return withScalar(x, v, NDArray::mul);
    }

    public static NDArray div(NDArray x, float v) {
        return withScalar(x, v, NDArray::div);
    }

    public static NDArray pow(NDArray x, float v) {
        return withScalar(x, v, NDArray::pow);
    }

    public static NDArray maximum(NDArray x, float v) {
        return withScalar(x, v, NDArray::maximum);
    }

    /** {@code op(x, v)} with {@code v} as an engine-owned scalar, closed at once: autograd holds its own reference. */
    private static NDArray withScalar(NDArray x, float v, BinaryOperator<NDArray> op) {
        try (NDArray s = scalar(x, v)) {
            return op.apply(x, s);
        }
    }
}

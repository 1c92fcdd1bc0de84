/**
 * ternary4j runtime: run ONNX models whose Conv/Gemm/MatMul weights are packed ternary tensors.
 * {@link org.ternary4j.runtime.TernaryModel} loads a model once (checking every operator, packing
 * the ternary weights) and runs it many times; {@code org.ternary4j.runtime.graph} holds the
 * operators, {@code org.ternary4j.runtime.kernel} the packed Vector API kernels.
 */
package org.ternary4j.runtime;

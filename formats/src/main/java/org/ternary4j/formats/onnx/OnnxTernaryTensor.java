package org.ternary4j.formats.onnx;

import org.ternary4j.core.TernaryTensor;

/**
 * One ternarized ONNX weight, ready for a packed writer. {@code tensor} is in core's canonical
 * layout [out, in, spatial…]; {@code layout.toStored(tensor.dequantize(), storedShape)} gives the
 * array as the ONNX op stores it (what the output model holds, converted to float). With a folded
 * BatchNorm the scales carry the per-channel factors (scales stay ≥ 0: a negative factor flips
 * that channel's codes instead).
 *
 * @param dataType the weight's ONNX element type (FLOAT, FLOAT16, BFLOAT16, DOUBLE)
 */
public record OnnxTernaryTensor(String name, String op, String node, int layerIndex, WeightLayout layout,
                                int[] storedShape, String dataType, boolean bnFolded, TernaryTensor tensor) {}

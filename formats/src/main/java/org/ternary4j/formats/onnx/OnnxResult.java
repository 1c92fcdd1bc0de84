package org.ternary4j.formats.onnx;

import java.nio.file.Path;
import java.util.List;
import org.ternary4j.core.metrics.TensorReport;

/**
 * What {@link OnnxTernarizer#run} wrote and measured.
 *
 * @param externalData the data file written beside the output, or null when the model has no external data
 * @param reports      one per ternarized layer, in graph order
 * @param tensors      the ternary weights, in graph order
 * @param layers       every weight layer found, ternarized or not, with the reason
 * @param notes        what was left alone and why (unsupported layouts, folds not done, shared weights)
 */
public record OnnxResult(Path output, Path externalData, List<TensorReport> reports, List<OnnxTernaryTensor> tensors,
                         List<LayerDecision> layers, List<String> notes) {}

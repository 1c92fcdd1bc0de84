package org.ternary4j.ptq.calibrate;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.ternary4j.formats.onnx.LayerDecision;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.OnnxOptions;
import org.ternary4j.formats.onnx.OnnxResult;
import org.ternary4j.formats.onnx.OnnxTernarizer;

/** {@link OnnxTernarizer} with calibration: the same choices of layers, folds and outputs, calibrated weights and biases. */
public final class CalibratedTernarizer {

    /** The ternarizer's result and what calibration measured. */
    public record Outcome(OnnxResult result, Calibrator.Result calibration, String source, Steps steps) {}

    private CalibratedTernarizer() {}

    public static Outcome run(Path in, Path out, OnnxOptions options, CalibrationInputs data, Steps steps,
                              OnnxTernarizer.BeforeCommit beforeCommit, Consumer<Calibrator.Result> calibrated) throws IOException {
        return run(in, out, options, data, steps, null, beforeCommit, calibrated);
    }

    /** {@code budget}: bits/weight under which each layer's grouping is chosen ({@link GroupingBudget}); null: the options' grouping. */
    public static Outcome run(Path in, Path out, OnnxOptions options, CalibrationInputs data, Steps steps, Double budget,
                              OnnxTernarizer.BeforeCommit beforeCommit, Consumer<Calibrator.Result> calibrated) throws IOException {
        try (OnnxModel model = OnnxModel.read(in)) {
            List<LayerDecision> decisions = OnnxTernarizer.plan(in, options);
            Calibrator.Result cal = new Calibrator(in.toString(), options, steps, budget)
                    .run(model, decisions, data);
            calibrated.accept(cal); // before the outputs are written, so a report can include it
            OnnxOptions withWeights = options.withOverride((name, shape, w, grouping) -> cal.weights().get(name));
            OnnxResult r = OnnxTernarizer.run(in, cal.corrected(), out, withWeights, beforeCommit);
            return new Outcome(r, cal, data.source(), steps);
        }
    }
}

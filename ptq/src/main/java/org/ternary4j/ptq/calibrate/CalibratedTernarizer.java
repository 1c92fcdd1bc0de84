package org.ternary4j.ptq.calibrate;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
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

    /**
     * {@code budget}: bits/weight over every weight layer under which each layer's grouping or kept
     * precision is chosen ({@link GroupingBudget}; the first and last layers are candidates then); null: the options' grouping.
     */
    public static Outcome run(Path in, Path out, OnnxOptions options, CalibrationInputs data, Steps steps, Double budget,
                              OnnxTernarizer.BeforeCommit beforeCommit, Consumer<Calibrator.Result> calibrated) throws IOException {
        // Under a budget the first and last layers are candidates like any other: the budget decides what they keep.
        OnnxOptions planned = budget == null ? options : options.withAllLayers(true);
        try (OnnxModel model = OnnxModel.read(in)) {
            List<LayerDecision> decisions = OnnxTernarizer.plan(in, planned);
            OnnxModel start = model;
            List<String> scaling = new java.util.ArrayList<>();
            if (steps.rotate()) {
                HeadRotation.Outcome o = HeadRotation.apply(start);
                start = o.model();
                scaling.addAll(o.notes());
            }
            if (steps.scale()) {
                EquivalentScaling.Outcome o = new EquivalentScaling(in.toString(), planned.projection(), planned.grouping()).apply(start, decisions, data);
                start = o.model();
                scaling.addAll(o.notes());
            }
            Calibrator.Result cal = new Calibrator(in.toString(), planned, steps, budget).run(start, decisions, data);
            if (!scaling.isEmpty()) {
                List<String> notes = new java.util.ArrayList<>(scaling);
                notes.addAll(cal.notes());
                cal = new Calibrator.Result(cal.weights(), cal.kept(), cal.corrected(), cal.layers(), notes, cal.budget());
            }
            calibrated.accept(cal); // before the outputs are written, so a report can include it
            OnnxOptions withWeights = planned.withOverride(new Calibrated(cal));
            OnnxResult r = OnnxTernarizer.run(in, cal.corrected(), out, withWeights, beforeCommit);
            return new Outcome(r, cal, data.source(), steps);
        }
    }

    /** The calibrated ternary weights, and the layers mixed precision kept (their dequantized values are already in the corrected model). */
    private record Calibrated(Calibrator.Result cal) implements OnnxOptions.WeightOverride {
        @Override
        public TernaryTensor ternarize(String weightName, int[] canonicalShape, float[] canonical, Grouping grouping) {
            return cal.weights().get(weightName);
        }

        @Override
        public String keptReason(String weightName) {
            if (!cal.kept().containsKey(weightName)) return null;
            GroupingBudget.Decision d = cal.budget().decisions().get(weightName);
            return String.format(Locale.ROOT, "kept at %s by mixed precision (sensitivity %.3g; %s)", d.chosen().choice().toUpperCase(Locale.ROOT),
                    d.sensitivity(), d.why());
        }
    }
}

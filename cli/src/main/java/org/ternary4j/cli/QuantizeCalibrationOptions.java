package org.ternary4j.cli;

import java.io.IOException;
import org.ternary4j.ptq.OnnxQuantization;
import org.ternary4j.ptq.calibrate.CalibrationInputs;
import org.ternary4j.ptq.calibrate.Steps;
import picocli.CommandLine.Option;

/** Calibration on example inputs (ONNX only). */
final class QuantizeCalibrationOptions {
    @Option(names = "--calibrate", paramLabel = "DATA",
            description = "ONNX: calibrate on example inputs from a TRAINING split (never the test split): fashion-mnist[:N] "
                    + "(N evenly spaced training images, default 4096) or an .npy/.npz file[:N]. Upgrades the chosen method: "
                    + "activation-weighted exact projection, output-error scale refit, GPTQ-style code search, bias correction, "
                    + "layer by layer on the partially ternarized model.")
    String calibrate;

    @Option(names = "--calibration-steps", defaultValue = "all", paramLabel = "STEPS",
            description = "With --calibrate: all (= weighted,refit,gptq:3,bias,target,descent), none, or a comma list of weighted, refit, gptq[:ROUNDS], bias, target, descent, variance, act-order, scale, rotate (see CALIBRATION.md). Default: ${DEFAULT-VALUE}.")
    String calibrationSteps;

    @Option(names = "--budget", paramLabel = "BITS",
            description = "With --calibrate: mixed precision. Every Conv/Gemm/MatMul layer (first and last included) becomes ternary "
                    + "(the given grouping, row, kernel, block:64/32/16) or is kept at INT8 or FP16, chosen by measured sensitivity for the "
                    + "least output error with at most BITS bits/weight on average over all of them (excluded layers count at 32; "
                    + "codes as --packing).")
    Double budget;

    /** Null without --calibrate; the calibration inputs are loaded here, before anything is written. */
    OnnxQuantization.Calibration load() throws IOException {
        if (calibrate == null) {
            if (budget != null) throw new IllegalArgumentException("--budget needs --calibrate (it measures each layer's sensitivity)");
            return null;
        }
        CalibrationInputs data = CalibrationInputs.load(calibrate);
        Steps steps = Steps.parse(calibrationSteps);
        if (budget != null && !(budget > 0)) throw new IllegalArgumentException("--budget must be > 0 bits/weight");
        return new OnnxQuantization.Calibration(data, steps, budget);
    }
}

package org.ternary4j.ptq;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.ternary4j.core.KeptTensor;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.onnx.LayerDecision;
import org.ternary4j.formats.onnx.OnnxOptions;
import org.ternary4j.formats.onnx.OnnxResult;
import org.ternary4j.formats.onnx.OnnxTernarizer;
import org.ternary4j.formats.onnx.OnnxTernaryTensor;
import org.ternary4j.formats.packed.PackedOnnxWeights;
import org.ternary4j.ptq.calibrate.CalibratedTernarizer;
import org.ternary4j.ptq.calibrate.CalibrationInputs;
import org.ternary4j.ptq.calibrate.Calibrator;
import org.ternary4j.ptq.calibrate.Steps;

/**
 * Post-training ternarization of an ONNX model: runs {@link OnnxTernarizer} (or, with a
 * {@link Calibration}, {@link CalibratedTernarizer}), and writes the packed file (ternarized
 * weights only, canonical [out, in, …] layout) and the JSON report before the model is committed,
 * so all of them become visible together. With evaluation data the report carries full-precision
 * vs ternary accuracy; that needs the written model, so such a report follows it.
 *
 * <pre>{@code
 * OnnxQuantization.Outcome o = OnnxQuantization.run(OnnxQuantization.Request
 *         .of(in, out, OnnxOptions.of(Projections.parse("tnt"), Grouping.parse("row")))
 *         .withPacked(packed)
 *         .withCalibration(OnnxQuantization.Calibration.of(CalibrationInputs.load("fashion-mnist:256"))));
 * }</pre>
 */
public final class OnnxQuantization {

    /** Calibration inputs, the steps to apply, and optionally a bits/weight budget for mixed precision (each layer's grouping or INT8/FP16; null: none). */
    public record Calibration(CalibrationInputs data, Steps steps, Double budget) {
        public Calibration {
            Objects.requireNonNull(data, "data");
            Objects.requireNonNull(steps, "steps");
            if (budget != null && !(budget > 0)) throw new IllegalArgumentException("the bits/weight budget must be > 0, got " + budget);
        }

        /** All steps, no budget. */
        public static Calibration of(CalibrationInputs data) {
            return new Calibration(data, Steps.ALL, null);
        }
    }

    /**
     * What to ternarize and where the results go; {@code packed}, {@code report},
     * {@code calibration} and {@code evalData} are optional (null).
     */
    public record Request(Path input, Path output, OnnxOptions options, Path packed, Path report, Calibration calibration, Dataset evalData) {
        public Request {
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(output, "output");
            Objects.requireNonNull(options, "options");
        }

        public static Request of(Path input, Path output, OnnxOptions options) {
            return new Request(input, output, options, null, null, null, null);
        }

        public Request withPacked(Path p) {
            return new Request(input, output, options, p, report, calibration, evalData);
        }

        public Request withReport(Path r) {
            return new Request(input, output, options, packed, r, calibration, evalData);
        }

        public Request withCalibration(Calibration c) {
            return new Request(input, output, options, packed, report, c, evalData);
        }

        /** Also measure full-precision vs ternary accuracy on {@code data} with ONNX Runtime. */
        public Request withEvaluation(Dataset data) {
            return new Request(input, output, options, packed, report, calibration, data);
        }

        Request withOutputs(Path out, Path p, Path r) {
            return new Request(input, out, options, p, r, calibration, null);
        }
    }

    /** The ternarizer's result, the per-tensor report (with accuracy when evaluated) and what calibration measured (null without). */
    public record Outcome(OnnxResult result, QuantizeReport report, Calibrator.Result calibration, String calibrationSource) {

        /** The per-tensor table, calibration's table, the layers kept in full precision and why, notes and accuracy. */
        public void print(PrintWriter out) {
            report.printTable(out);
            if (calibration != null) CalibrationJson.printTable(out, calibrationSource, calibration);
            for (LayerDecision l : result.layers()) {
                if (!l.ternarized()) out.printf(Locale.ROOT, "kept  %s (%s, layer %d): %s%n", l.weight(), l.op(), l.layerIndex(), l.reason());
            }
            for (String note : result.notes()) out.println("note  " + note);
            if (result.externalData() != null) out.println("external data written to " + result.externalData());
            if (report.accuracy() != null) out.println(report.accuracy().describe());
            out.flush();
        }
    }

    private OnnxQuantization() {}

    public static Outcome run(Request request) throws IOException {
        Outputs outputs = new Outputs(request);
        OnnxResult result;
        Calibration c = request.calibration();
        if (c == null) {
            result = OnnxTernarizer.run(request.input(), request.output(), request.options(), outputs);
        } else {
            result = CalibratedTernarizer.run(request.input(), request.output(), request.options(), c.data(), c.steps(), c.budget(), outputs,
                    cal -> outputs.calibration = cal).result();
        }
        if (request.evalData() != null) {
            TaskAccuracy a = TaskAccuracy.measure(request.input(), request.output(), request.evalData(), request.options().threads());
            outputs.report = outputs.report.withAccuracy(a);
            if (request.report() != null) JsonFiles.write(request.report(), outputs.json(), request.input());
        }
        return new Outcome(result, outputs.report, outputs.calibration, c == null ? null : c.data().source());
    }

    /** The packed file and the report, written while the ternarized model is not yet visible. */
    private static final class Outputs implements OnnxTernarizer.BeforeCommit {
        private final Request request;
        private Calibrator.Result calibration;
        private QuantizeReport report;

        Outputs(Request request) {
            this.request = request;
        }

        @Override
        public void accept(OnnxResult r) throws IOException {
            OnnxOptions o = request.options();
            int kept = (int) r.layers().stream().filter(l -> !l.ternarized()).count();
            report = new QuantizeReport(request.input().toString(), o.projection().spec(), o.grouping().spec(), o.packing().spec(), r.reports(), kept);
            if (request.packed() != null) writePacked(request.input(), request.packed(), r.tensors(), calibration == null ? Map.of() : calibration.kept(), o);
            if (request.report() != null && request.evalData() == null) JsonFiles.write(request.report(), json(), request.input());
        }

        byte[] json() throws IOException {
            byte[] bytes = report.toJson();
            Calibration c = request.calibration();
            return calibration == null ? bytes : CalibrationJson.addTo(bytes, c.data().source(), c.steps().spec(), calibration);
        }
    }

    /** Codes and scales of the ternarized weights and the layers mixed precision kept (calibration only keeps FLOAT weights). */
    private static void writePacked(Path input, Path packed, List<OnnxTernaryTensor> tensors, Map<String, KeptTensor> kept, OnnxOptions options)
            throws IOException {
        List<PackedOnnxWeights.Weight> ternary = tensors.stream().map(t -> new PackedOnnxWeights.Weight(t.name(), t.dataType(), t.tensor())).toList();
        PackedOnnxWeights.write(packed, ternary, kept, options.packing(), options.halfScales(), input);
    }
}

package org.ternary4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.ptq.calibrate.CalibratedTernarizer;
import org.ternary4j.ptq.calibrate.CalibrationInputs;
import org.ternary4j.ptq.calibrate.Calibrator;
import org.ternary4j.ptq.calibrate.Steps;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.eval.report.ReportData;
import org.ternary4j.core.projection.Projection;
import org.ternary4j.formats.AtomicOutput;
import org.ternary4j.formats.onnx.LayerDecision;
import org.ternary4j.formats.onnx.NamePattern;
import org.ternary4j.formats.onnx.OnnxOptions;
import org.ternary4j.formats.onnx.OnnxResult;
import org.ternary4j.formats.onnx.OnnxTernarizer;
import org.ternary4j.formats.onnx.OnnxTernaryTensor;
import org.ternary4j.formats.packed.PackedEntry;
import org.ternary4j.formats.packed.PackedFormat;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.SafetensorsWriter;
import org.ternary4j.formats.safetensors.TensorSpec;

/**
 * The .onnx side of {@code quantize}: runs {@link OnnxTernarizer}, then writes the JSON report and
 * the packed file (ternarized weights only, canonical [out, in, …] layout) before the model is
 * committed, and prints the same table as for safetensors plus what was kept and why.
 */
final class OnnxQuantize {

    /** The options only ONNX models have. */
    record Flags(boolean allLayers, List<String> include, List<String> exclude, boolean foldBn, boolean embeddings,
                 String calibrate, String calibrationSteps, Double budget) {
        boolean any() {
            return allLayers || !include.isEmpty() || !exclude.isEmpty() || foldBn || embeddings || calibrate != null;
        }
    }

    private OnnxQuantize() {}

    static boolean isOnnx(Path p) {
        return p.getFileName() != null && p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx");
    }

    /**
     * Ternarizes {@code input}; with {@code evalData} also measures FP vs ternary accuracy on it
     * (the report then carries it), and with {@code html} writes the HTML report. The model, the
     * packed file and a report without accuracy become visible together; accuracy needs the
     * written model, so a report with accuracy and the HTML page follow it.
     */
    static QuantizeReport run(Path input, Path output, Path packed, Path report, Projection method, Grouping grouping, Packing packing,
                              int threads, Flags flags, Dataset evalData, Path html, PrintWriter out) throws IOException {
        OnnxOptions options = OnnxOptions.of(method, grouping).withAllLayers(flags.allLayers())
                .withInclude(flags.include().stream().map(NamePattern::parse).toList())
                .withExclude(flags.exclude().stream().map(NamePattern::parse).toList())
                .withFoldBn(flags.foldBn()).withEmbeddings(flags.embeddings()).withThreads(threads).withPacking(packing);
        QuantizeReport[] table = new QuantizeReport[1];
        Calibrator.Result[] calibration = new Calibrator.Result[1];
        String[] calibrationSource = new String[1], calibrationSteps = new String[1];
        OnnxTernarizer.BeforeCommit writeOutputs = r -> {
            int kept = (int) r.layers().stream().filter(l -> !l.ternarized()).count();
            table[0] = new QuantizeReport(input.toString(), method.spec(), grouping.spec(), packing.spec(), r.reports(), kept);
            if (packed != null) writePacked(input, packed, r.tensors(), packing);
            if (report != null && evalData == null) writeJson(report, reportJson(table[0], calibration[0], calibrationSource[0], calibrationSteps[0]), input);
        };
        OnnxResult result;
        if (flags.calibrate() == null && flags.budget() != null) throw new IllegalArgumentException("--budget needs --calibrate (it measures each layer's sensitivity)");
        if (flags.calibrate() == null) {
            result = OnnxTernarizer.run(input, output, options, writeOutputs);
        } else {
            CalibrationInputs data = CalibrationInputs.load(flags.calibrate());
            Steps steps = Steps.parse(flags.calibrationSteps());
            if (flags.budget() != null && !(flags.budget() > 0)) throw new IllegalArgumentException("--budget must be > 0 bits/weight");
            calibrationSource[0] = data.source();
            calibrationSteps[0] = steps.spec();
            CalibratedTernarizer.Outcome o = CalibratedTernarizer.run(input, output, options, data, steps, flags.budget(), writeOutputs,
                    c -> calibration[0] = c);
            result = o.result();
        }
        if (evalData != null) {
            table[0] = table[0].withAccuracy(TaskAccuracy.measure(input, output, evalData, threads));
            if (report != null) writeJson(report, reportJson(table[0], calibration[0], calibrationSource[0], calibrationSteps[0]), input);
        }
        table[0].printTable(out);
        if (calibration[0] != null) CalibrationJson.printTable(out, calibrationSource[0], calibration[0]);
        for (LayerDecision l : result.layers()) {
            if (!l.ternarized()) out.printf(Locale.ROOT, "kept  %s (%s, layer %d): %s%n", l.weight(), l.op(), l.layerIndex(), l.reason());
        }
        for (String note : result.notes()) out.println("note  " + note);
        if (result.externalData() != null) out.println("external data written to " + result.externalData());
        if (table[0].accuracy() != null) out.println(table[0].accuracy().describe());
        if (html != null) {
            List<ReportData.AccuracyEntry> acc = new ArrayList<>();
            TaskAccuracy a = table[0].accuracy();
            if (a != null) {
                acc.add(new ReportData.AccuracyEntry("full precision", a.fpTop1(), null, null));
                acc.add(new ReportData.AccuracyEntry("ternary (" + method.spec() + ", " + grouping.spec() + ")", a.ternaryTop1(), a.agreement(), a.meanCosine()));
            }
            OnnxReportPage.write(html, input.getFileName() + ": " + method.spec() + ", " + grouping.spec(), input, result, packing, acc, input, output);
            out.println("HTML report: " + html);
        }
        out.flush();
        return table[0];
    }

    private static byte[] reportJson(QuantizeReport table, Calibrator.Result calibration, String source, String steps) throws IOException {
        byte[] bytes = table.toJson();
        return calibration == null ? bytes : CalibrationJson.addTo(bytes, source, steps, calibration);
    }

    private static void writeJson(Path report, byte[] bytes, Path input) throws IOException {
        try (AtomicOutput json = AtomicOutput.open(report, input)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) json.channel().write(b);
            json.commit();
        }
    }

    /** Codes and scales of the ternarized weights, under their ONNX names, in canonical layout. */
    private static void writePacked(Path input, Path packed, List<OnnxTernaryTensor> tensors, Packing packing) throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(PackedFormat.FORMAT_KEY, PackedFormat.FORMAT);
        meta.put(PackedFormat.VERSION_KEY, PackedFormat.VERSION);
        for (OnnxTernaryTensor t : tensors) {
            if (t.name().equals(PackedFormat.FORMAT_KEY) || t.name().equals(PackedFormat.VERSION_KEY)) {
                throw new IOException(packed + ": tensor name '" + t.name() + "' is reserved in the packed format's metadata");
            }
            DType dtype = switch (t.dataType()) {
                case "FLOAT" -> DType.F32;
                case "FLOAT16" -> DType.F16;
                case "BFLOAT16" -> DType.BF16;
                default -> throw new IOException(packed + ": tensor '" + t.name() + "' is " + t.dataType()
                        + "; the packed format stores F32, F16 and BF16 weights");
            };
            specs.addAll(PackedFormat.specs(t.name(), t.tensor().shape(), t.tensor().grouping(), t.tensor().twoScales(), packing));
            meta.put(t.name(), new PackedEntry(t.tensor().shape(), dtype, t.tensor().grouping(), t.tensor().method(), packing).toJson());
        }
        try (SafetensorsWriter w = SafetensorsWriter.open(packed, specs, meta, input)) {
            for (OnnxTernaryTensor t : tensors) PackedFormat.write(w, t.name(), t.tensor(), packing);
            w.commit();
        } catch (IllegalArgumentException e) {
            throw new IOException(packed + ": " + e.getMessage());
        }
    }
}

package org.ternary4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.core.projection.Projection;
import org.ternary4j.core.projection.Projections;
import org.ternary4j.eval.report.ReportData;
import org.ternary4j.formats.data.DataSources;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.onnx.NamePattern;
import org.ternary4j.formats.onnx.OnnxOptions;
import org.ternary4j.formats.safetensors.ReadLimits;
import org.ternary4j.ptq.OnnxQuantization;
import org.ternary4j.ptq.QuantizeReport;
import org.ternary4j.ptq.SafetensorsQuantization;
import org.ternary4j.ptq.TaskAccuracy;
import org.ternary4j.ptq.calibrate.CalibrationInputs;
import org.ternary4j.ptq.calibrate.Steps;
import picocli.CommandLine.Command;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ternary4j quantize}: post-training ternarization of a safetensors file or an ONNX model. */
@Command(name = "quantize", mixinStandardHelpOptions = true, modelTransformer = QuantizeCommand.HelpLists.class,
        description = {
                "Ternarizes the weight tensors of a safetensors file and writes the dequantized weights under the same names, "
                        + "dtypes and shapes; prints a per-tensor table (cosine, relative L2 error, sparsity, bits/weight), "
                        + "optionally writes a JSON report and a packed file (codes + scales).",
                "Float tensors (F32, F16, BF16) of rank >= 2 are ternarized; everything else is copied unchanged.",
                "An .onnx input keeps its graph: the weights of Conv, ConvTranspose, Gemm and MatMul (and with --embeddings Gather) "
                        + "are ternarized per output channel of the op, the first and last weight layers stay full precision unless "
                        + "--all-layers; external data goes to OUT.data beside the output."})
final class QuantizeCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "IN", description = "Input .safetensors file or .onnx model (never modified).")
    Path input;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "Dequantized output, same format as the input.")
    Path output;

    @Option(names = "--method", required = true, paramLabel = "M", description = "Ternarization method (list below).")
    String method;

    @Option(names = "--grouping", required = true, paramLabel = "G", description = "Which weights share a scale (list below).")
    String grouping;

    @Option(names = "--report", paramLabel = "R.json", description = "Also write the per-tensor report as JSON.")
    Path report;

    @Option(names = "--packed", paramLabel = "P.safetensors", description = "Also write packed codes + scales (see PACKED_FORMAT.md).")
    Path packed;

    @Option(names = "--packing", defaultValue = "base3", paramLabel = "base3|2bit",
            description = "Code packing for --packed and for bits/weight: base3 (1.6 bits) or 2bit. Default: ${DEFAULT-VALUE}.")
    String packing;

    @Option(names = "--all-tensors", description = "Ternarize float tensors of rank < 2 too (biases, norms).")
    boolean allTensors;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: available processors). Output is identical for any N.")
    Integer threads;

    @Option(names = "--scale", defaultValue = "ls", paramLabel = "ls|norm",
            description = "Scale rule for tnt: ls (least squares, default) or norm (TNT's norm matching, i.e. tnt:norm).")
    String scale;

    @Mixin
    LimitOptions limits;

    @Mixin
    OnnxFlags onnx;

    @Mixin
    CalibrationFlags calibration;

    @Spec
    CommandSpec spec;

    /** How large an input quantize accepts. */
    static final class LimitOptions {
        @Option(names = "--max-tensors", paramLabel = "N", description = "Refuse inputs declaring more tensors than this (default ${DEFAULT-VALUE}).",
                defaultValue = "100000")
        int maxTensors;

        @Option(names = "--max-file-gb", paramLabel = "GB", description = "Refuse inputs larger than this many GiB (default ${DEFAULT-VALUE}).",
                defaultValue = "1024")
        double maxFileGb;

        ReadLimits toReadLimits() {
            if (maxTensors < 0) throw new IllegalArgumentException("--max-tensors must be ≥ 0");
            if (!(maxFileGb > 0) || Double.isInfinite(maxFileGb)) throw new IllegalArgumentException("--max-file-gb must be a positive number");
            long bytes = (long) Math.max(8, Math.min(Long.MAX_VALUE, maxFileGb * (1L << 30)));
            return ReadLimits.DEFAULT.withMaxTensors(maxTensors).withMaxFileBytes(bytes);
        }
    }

    /** What only ONNX inputs have: which layers, BatchNorm folding, evaluation and the HTML page. */
    static final class OnnxFlags {
        @Option(names = "--all-layers", description = "ONNX: also ternarize the first and last weight layers (full precision by default).")
        boolean allLayers;

        @Option(names = "--include", split = ",", paramLabel = "PATTERN",
                description = "ONNX: only layers whose weight or node name matches one of these (glob with * and ?, or re:REGEX; whole name).")
        List<String> include = new ArrayList<>();

        @Option(names = "--exclude", split = ",", paramLabel = "PATTERN",
                description = "ONNX: keep layers whose weight or node name matches one of these in full precision (glob, or re:REGEX).")
        List<String> exclude = new ArrayList<>();

        @Option(names = "--fold-bn", description = "ONNX: fold a BatchNormalization that follows a ternarized Conv/Gemm into its per-channel scales and bias.")
        boolean foldBn;

        @Option(names = "--embeddings", description = "ONNX: also ternarize Gather tables (embeddings).")
        boolean embeddings;

        @Option(names = "--eval", paramLabel = "DATA",
                description = "ONNX: also evaluate the full-precision and the ternary model on DATA (fashion-mnist, an IDX folder, .npz/.npy) with ONNX Runtime; accuracy goes into the report.")
        String evalData;

        @Option(names = "--eval-limit", paramLabel = "N", description = "With --eval: only the first N examples.")
        Integer evalLimit;

        @Option(names = "--html", paramLabel = "FILE.html", description = "ONNX: write a self-contained HTML report (layers, histograms, size, accuracy).")
        Path html;

        boolean any() {
            return allLayers || !include.isEmpty() || !exclude.isEmpty() || foldBn || embeddings || evalData != null || html != null;
        }

        OnnxOptions apply(OnnxOptions base) {
            return base.withAllLayers(allLayers).withInclude(include.stream().map(NamePattern::parse).toList())
                    .withExclude(exclude.stream().map(NamePattern::parse).toList()).withFoldBn(foldBn).withEmbeddings(embeddings);
        }

        /** Loaded before anything is written, so a bad --eval fails first. */
        Dataset evalData() throws IOException {
            if (evalData == null) return null;
            Dataset data = DataSources.load(evalData, null);
            return evalLimit == null ? data : data.limit(evalLimit);
        }
    }

    /** Calibration on example inputs (ONNX only). */
    static final class CalibrationFlags {
        @Option(names = "--calibrate", paramLabel = "DATA",
                description = "ONNX: calibrate on example inputs from a TRAINING split (never the test split): fashion-mnist[:N] "
                        + "(N evenly spaced training images, default 4096) or an .npy/.npz file[:N]. Upgrades the chosen method: "
                        + "activation-weighted exact projection, output-error scale refit, GPTQ-style code search, bias correction, "
                        + "layer by layer on the partially ternarized model.")
        String calibrate;

        @Option(names = "--calibration-steps", defaultValue = "all", paramLabel = "STEPS",
                description = "With --calibrate: all (= weighted,refit,gptq:3,bias,target,descent), none, or a comma list of weighted, refit, gptq[:ROUNDS], bias, target, descent, variance (see CALIBRATION.md). Default: ${DEFAULT-VALUE}.")
        String calibrationSteps;

        @Option(names = "--budget", paramLabel = "BITS",
                description = "With --calibrate: choose each layer's grouping (the given one, row, kernel, block:64/32/16) by its "
                        + "measured sensitivity so the ternarized layers average at most BITS bits/weight (with --packing).")
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

    @Override
    public Integer call() throws IOException {
        Projection projection = Projections.parse(methodSpec());
        Grouping groups = Grouping.parse(grouping);
        Packing pack = Packing.parse(packing);
        int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (n < 1) throw new IllegalArgumentException("--threads must be ≥ 1");
        checkDistinct(output, packed, "--packed");
        checkDistinct(output, report, "--report");
        checkDistinct(packed, report, "--report");
        ReadLimits readLimits = limits.toReadLimits();

        long start = System.nanoTime();
        PrintWriter out = spec.commandLine().getOut();
        if (isOnnx(input)) {
            if (Files.isRegularFile(input) && Files.size(input) > readLimits.maxFileBytes()) {
                throw new IOException(input + ": " + Files.size(input) + " bytes exceeds the file size limit of " + readLimits.maxFileBytes() + " bytes");
            }
            if (allTensors) throw new IllegalArgumentException("--all-tensors applies to safetensors inputs; for ONNX see --all-layers and --embeddings");
            Dataset data = onnx.evalData();
            checkDistinct(output, onnx.html, "--html");
            OnnxOptions options = onnx.apply(OnnxOptions.of(projection, groups)).withThreads(n).withPacking(pack);
            OnnxQuantization.Request request = OnnxQuantization.Request.of(input, output, options).withPacked(packed).withReport(report)
                    .withCalibration(calibration.load()).withEvaluation(data);
            OnnxQuantization.Outcome outcome = OnnxQuantization.run(request);
            outcome.print(out);
            if (onnx.html != null) writeHtml(outcome, options);
            out.flush();
            printDone(start);
            return 0;
        }
        if (onnx.any() || calibration.calibrate != null) {
            throw new IllegalArgumentException("--all-layers, --include, --exclude, --fold-bn, --embeddings, --calibrate, --eval and --html apply to .onnx inputs only");
        }
        SafetensorsQuantization.Request request = SafetensorsQuantization.Request.of(input, output, projection, groups).withPacking(pack)
                .withPacked(packed).withReport(report).withAllTensors(allTensors).withThreads(n).withLimits(readLimits);
        QuantizeReport result;
        try (Progress progress = new Progress("quantize")) {
            result = SafetensorsQuantization.run(request, progress);
        }
        result.printTable(out);
        printDone(start);
        return 0;
    }

    private void writeHtml(OnnxQuantization.Outcome outcome, OnnxOptions options) throws IOException {
        String method = options.projection().spec(), groups = options.grouping().spec();
        List<ReportData.AccuracyEntry> acc = new ArrayList<>();
        TaskAccuracy a = outcome.report().accuracy();
        if (a != null) {
            acc.add(new ReportData.AccuracyEntry("full precision", a.fpTop1(), null, null));
            acc.add(new ReportData.AccuracyEntry("ternary (" + method + ", " + groups + ")", a.ternaryTop1(), a.agreement(), a.meanCosine()));
        }
        OnnxReportPage.write(onnx.html, input.getFileName() + ": " + method + ", " + groups, input, outcome.result(), options.packing(), acc, input, output);
        spec.commandLine().getOut().println("HTML report: " + onnx.html);
    }

    static boolean isOnnx(Path p) {
        return p.getFileName() != null && p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx");
    }

    private void printDone(long start) throws IOException {
        double seconds = (System.nanoTime() - start) / 1e9;
        long bytes = Files.size(input);
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s%s%s in %.1f s (%.1f MB/s of input)%n", output,
                packed == null ? "" : ", " + packed, report == null ? "" : ", " + report, seconds, bytes / 1e6 / seconds);
        spec.commandLine().getOut().flush();
    }

    /** --scale norm turns tnt into tnt:norm; it means nothing for the other methods. */
    private String methodSpec() {
        switch (scale) {
            case "ls" -> {
                return method;
            }
            case "norm" -> {
                String m = method.trim();
                if (m.equals("tnt") || m.equals("tnt:norm")) return "tnt:norm";
                throw new IllegalArgumentException("--scale norm applies only to --method tnt, not '" + method + "'");
            }
            default -> throw new IllegalArgumentException("--scale '" + scale + "': one of ls, norm");
        }
    }

    private static void checkDistinct(Path a, Path b, String option) {
        if (a != null && b != null && a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException(b + ": " + option + " names the same file as another output");
        }
    }

    /** Puts core's lists of method and grouping spellings into the --help text. */
    static final class HelpLists implements IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            String[] footer = new String[Projections.HELP.size() + Grouping.HELP.size() + 4];
            int k = 0;
            footer[k++] = "";
            footer[k++] = "Methods (--method):";
            for (String s : Projections.HELP) footer[k++] = "  " + s;
            footer[k++] = "Groupings (--grouping):";
            for (String s : Grouping.HELP) footer[k++] = "  " + s;
            footer[k] = "Errors print one line 'ternary4j: FILE: problem' and leave no output file behind.";
            spec.usageMessage().footer(footer);
            return spec;
        }
    }
}

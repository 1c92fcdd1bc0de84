package org.ternary4j.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.metrics.TensorReport;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.core.projection.Projection;
import org.ternary4j.core.projection.Projections;
import org.ternary4j.formats.AtomicOutput;
import org.ternary4j.formats.safetensors.ReadLimits;
import org.ternary4j.formats.safetensors.SafetensorsReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import org.ternary4j.formats.data.DataSources;
import org.ternary4j.formats.data.Dataset;
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

    @Option(names = "--max-tensors", paramLabel = "N", description = "Refuse inputs declaring more tensors than this (default ${DEFAULT-VALUE}).",
            defaultValue = "100000")
    int maxTensors;

    @Option(names = "--max-file-gb", paramLabel = "GB", description = "Refuse inputs larger than this many GiB (default ${DEFAULT-VALUE}).",
            defaultValue = "1024")
    double maxFileGb;

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

    @Option(names = "--eval", paramLabel = "DATA",
            description = "ONNX: also evaluate the full-precision and the ternary model on DATA (fashion-mnist, an IDX folder, .npz/.npy) with ONNX Runtime; accuracy goes into the report.")
    String evalData;

    @Option(names = "--eval-limit", paramLabel = "N", description = "With --eval: only the first N examples.")
    Integer evalLimit;

    @Option(names = "--html", paramLabel = "FILE.html", description = "ONNX: write a self-contained HTML report (layers, histograms, size, accuracy).")
    Path html;

    @Option(names = "--embeddings", description = "ONNX: also ternarize Gather tables (embeddings).")
    boolean embeddings;

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

    @Spec
    CommandSpec spec;

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

        if (maxTensors < 0) throw new IllegalArgumentException("--max-tensors must be ≥ 0");
        if (!(maxFileGb > 0) || Double.isInfinite(maxFileGb)) throw new IllegalArgumentException("--max-file-gb must be a positive number");
        ReadLimits limits = ReadLimits.DEFAULT.withMaxTensors(maxTensors).withMaxFileBytes((long) Math.max(8, Math.min(Long.MAX_VALUE, maxFileGb * (1L << 30))));

        long start = System.nanoTime();
        OnnxQuantize.Flags flags = new OnnxQuantize.Flags(allLayers, include, exclude, foldBn, embeddings, calibrate, calibrationSteps, budget);
        if (OnnxQuantize.isOnnx(input)) {
            if (Files.isRegularFile(input) && Files.size(input) > limits.maxFileBytes()) {
                throw new IOException(input + ": " + Files.size(input) + " bytes exceeds the file size limit of " + limits.maxFileBytes() + " bytes");
            }
            if (allTensors) throw new IllegalArgumentException("--all-tensors applies to safetensors inputs; for ONNX see --all-layers and --embeddings");
            // Load the data first: a bad --eval must fail before anything is written.
            Dataset data = evalData == null ? null : DataSources.load(evalData, null);
            if (data != null && evalLimit != null) data = data.limit(evalLimit);
            checkDistinct(output, html, "--html");
            OnnxQuantize.run(input, output, packed, report, projection, groups, pack, n, flags, data, html, spec.commandLine().getOut());
            printDone(start);
            return 0;
        }
        if (flags.any() || evalData != null || html != null) {
            throw new IllegalArgumentException("--all-layers, --include, --exclude, --fold-bn, --embeddings, --calibrate, --eval and --html apply to .onnx inputs only");
        }
        SafetensorsQuantizer quantizer = new SafetensorsQuantizer(projection, groups, pack, allTensors, n);
        QuantizeReport result;
        try (SafetensorsReader in = SafetensorsReader.open(input, limits)) {
            List<TensorPlan> plan = quantizer.plan(in);
            long elements = plan.stream().mapToLong(p -> p.tensor().spec().elements()).sum();
            int copied = (int) plan.stream().filter(p -> !p.ternarize()).count();
            try (AtomicOutput json = report == null ? null : AtomicOutput.open(report, input);
                 Progress progress = Progress.of("quantize", elements, plan.size())) {
                List<TensorReport> tensors = quantizer.run(in, plan, output, packed, progress, reports -> {
                    if (json == null) return;
                    byte[] bytes = new QuantizeReport(input.toString(), projection.spec(), groups.spec(), pack.spec(), reports, copied).toJson();
                    ByteBuffer b = ByteBuffer.wrap(bytes);
                    while (b.hasRemaining()) json.channel().write(b);
                });
                if (json != null) json.commit();
                result = new QuantizeReport(input.toString(), projection.spec(), groups.spec(), pack.spec(), tensors, copied);
            }
        }
        result.printTable(spec.commandLine().getOut());
        printDone(start);
        return 0;
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

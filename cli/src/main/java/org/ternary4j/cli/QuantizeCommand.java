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
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.onnx.OnnxOptions;
import org.ternary4j.formats.onnx.OnnxResult;
import org.ternary4j.formats.safetensors.ReadLimits;
import org.ternary4j.formats.safetensors.SafetensorsCheckpoint;
import org.ternary4j.ptq.HfBitNetExport;
import org.ternary4j.ptq.MatMulNBitsQuantization;
import org.ternary4j.ptq.OnnxQuantization;
import org.ternary4j.ptq.OutputFormat;
import org.ternary4j.ptq.QuantizeReport;
import org.ternary4j.ptq.SafetensorsQuantization;
import org.ternary4j.ptq.Selection;
import org.ternary4j.ptq.gguf.GgufExport;
import org.ternary4j.formats.gguf.GgufType;
import org.ternary4j.ptq.TaskAccuracy;
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
                "Ternarize the weights of a safetensors file or an ONNX model (no retraining) and write the dequantized model in "
                        + "the same format; prints a per-tensor table (cosine, relative L2 error, sparsity, bits/weight), "
                        + "optionally a JSON report and a packed file (codes + scales); -o OUT.gguf writes llama.cpp's TQ2_0/TQ1_0 instead.",
                "Safetensors (a file, a sharded checkpoint's index, or its folder): float tensors (F32, F16, BF16) of rank >= 2 are "
                        + "ternarized except embeddings and the output head (kept, and listed, unless --include names them); everything else "
                        + "is copied unchanged. -o a folder writes the input's shards, a rewritten model.safetensors.index.json and its config/tokenizer files.",
                "An .onnx input keeps its graph: the weights of Conv, ConvTranspose, Gemm and MatMul (and with --embeddings Gather) "
                        + "are ternarized per output channel of the op, the first and last weight layers stay full precision unless "
                        + "--all-layers; external data goes to OUT.data beside the output."})
final class QuantizeCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "IN", description = "Input .safetensors file or .onnx model (never modified).")
    Path input;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "Dequantized output, same format as the input.")
    Path output;

    @Option(names = "--report", paramLabel = "R.json", description = "Also write the per-tensor report as JSON.")
    Path report;

    @Option(names = "--packed", paramLabel = "P.safetensors", description = "Also write packed codes + scales (see formats/PACKED_FORMAT.md).")
    Path packed;

    @Option(names = "--all-tensors", description = "Ternarize float tensors of rank < 2 too (biases, norms).")
    boolean allTensors;

    @Option(names = "--gguf-type", paramLabel = "TQ2_0|TQ1_0",
            description = "With -o OUT.gguf (safetensors input, one file, an index or a folder of shards): llama.cpp's block type for "
                    + "ternarized tensors. Default: TQ2_0.")
    String ggufType;

    @Option(names = "--format", paramLabel = "FORMAT",
            description = "How the output stores ternarized weights: dequantized (default: floats, same format as the input); "
                    + "matmulnbits (ONNX: MatMul/Gemm weights as 2-bit com.microsoft.MatMulNBits that ONNX Runtime runs; Conv stays dequantized); "
                    + "bitnet (safetensors checkpoint to an output folder: Hugging Face transformers' BitNet layout, one scale per Linear weight).")
    String format;

    @Mixin
    ProgressOptions progressOptions;

    @Mixin
    QuantizeMethodOptions how;

    @Mixin
    LimitOptions limits;

    @Mixin
    QuantizeOnnxOptions onnx;

    @Mixin
    QuantizeCalibrationOptions calibration;

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

    @Override
    public Integer call() throws IOException {
        // Every output is checked against every input and the others before anything is read or written.
        boolean folderOutput = SafetensorsQuantization.isFolderOutput(output, input) || OutputFormat.parse(format) == OutputFormat.BITNET;
        new PathGuard().fileOrFolder(input).model(isOnnx(input) ? input : null).data(onnx.evalData).data(calibration.calibrate)
                .output(folderOutput ? null : output).output(packed).output(report).output(onnx.html).check();
        if (isGguf(output)) return gguf();
        // The output is written in the input's format: a name promising another format would mislead.
        boolean safetensorsName = output.getFileName() != null && output.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".safetensors");
        if (isOnnx(input) ? safetensorsName : isOnnx(output)) {
            // an input that is no safetensors checkpoint either is the user's real mistake: its own error names it
            if (!isOnnx(input)) SafetensorsCheckpoint.open(input, limits.toReadLimits()).close();
            throw new IllegalArgumentException(output + ": " + (isOnnx(input) ? "an ONNX input is written as .onnx" : "a safetensors input is written as .safetensors (or .gguf)"));
        }
        if (ggufType != null) throw new IllegalArgumentException("--gguf-type applies to GGUF output (-o OUT.gguf)");
        if (OutputFormat.parse(format) == OutputFormat.BITNET) {
            if (how.halfScales() != null) throw new IllegalArgumentException("--scales does not apply to --format bitnet (Hugging Face's BitNet layout keeps its own scale type)");
            return bitnet();
        }
        Projection projection = how.projection();
        Grouping groups = how.grouping();
        Packing pack = how.packing();
        boolean half = Boolean.TRUE.equals(how.halfScales());
        int n = how.threads();
        ReadLimits readLimits = limits.toReadLimits();

        long start = System.nanoTime();
        PrintWriter out = spec.commandLine().getOut();
        if (isOnnx(input)) {
            if (Files.isRegularFile(input) && Files.size(input) > readLimits.maxFileBytes()) {
                throw new IOException(input + ": " + Files.size(input) + " bytes exceeds the file size limit of " + readLimits.maxFileBytes() + " bytes");
            }
            if (allTensors) throw new IllegalArgumentException("--all-tensors applies to safetensors inputs; for ONNX see --all-layers and --embeddings");
            Dataset data = onnx.evalData();
            OnnxOptions options = onnx.apply(OnnxOptions.of(projection, groups)).withThreads(n).withPacking(pack).withHalfScales(half);
            boolean nbits = OutputFormat.parse(format) == OutputFormat.MATMULNBITS;
            Written written;
            // All outputs or none: a late failure (evaluation, the HTML page, a full disk) leaves no model behind.
            try (StagedOutputs staged = StagedOutputs.of(output, packed, report, onnx.html)) {
                written = staged.commitAfter(() -> {
                    OnnxQuantization.Calibration c = calibration.load();
                    if (c != null) ExampleShape.check(c.data().inputs(), input);
                    OnnxQuantization.Request request = OnnxQuantization.Request.of(input, staged.path(output), options).withPacked(staged.path(packed))
                            .withReport(staged.path(report)).withCalibration(c).withEvaluation(data);
                    Written w = nbits ? new Written(MatMulNBitsQuantization.run(request)) : new Written(OnnxQuantization.run(request), null);
                    if (onnx.html != null) writeHtml(w.outcome(), options, staged.path(onnx.html));
                    return w;
                });
            }
            OnnxQuantization.Outcome outcome = written.outcome();
            OnnxResult r = outcome.result();
            Path external = r.externalData() == null ? null : output.resolveSibling(r.externalData().getFileName());
            new OnnxQuantization.Outcome(new OnnxResult(output, external, r.reports(), r.tensors(), r.layers(), r.notes()), outcome.report(),
                    outcome.calibration(), outcome.calibrationSource()).print(out);
            if (written.nbits() != null) written.nbits().print(out);
            if (onnx.html != null) out.println("HTML report: " + onnx.html);
            out.flush();
            printDone(start);
            return 0;
        }
        if (onnx.onnxOnly() || calibration.calibrate != null) {
            throw new IllegalArgumentException("--all-layers, --fold-bn, --embeddings, --calibrate and --eval apply to .onnx inputs only");
        }
        if (OutputFormat.parse(format) == OutputFormat.MATMULNBITS) throw new IllegalArgumentException("--format matmulnbits applies to .onnx inputs");
        SafetensorsQuantization.Request request = SafetensorsQuantization.Request.of(input, output, projection, groups).withPacking(pack)
                .withPacked(packed).withReport(report).withAllTensors(allTensors).withThreads(n).withLimits(readLimits)
                .withSelection(new Selection(onnx.patterns(onnx.include), onnx.patterns(onnx.exclude)));
        SafetensorsQuantization.Outcome result;
        SafetensorsReportPage page;
        try (Progress progress = new Progress("quantize", progressOptions.bar())) {
            page = new SafetensorsReportPage(progress);
            result = SafetensorsQuantization.quantize(request, onnx.html == null ? progress : page, half);
        }
        result.report().printTable(out);
        result.printKept(out);
        if (onnx.html != null) {
            page.write(onnx.html, input, result);
            out.println("HTML report: " + onnx.html);
        }
        printDone(start);
        return 0;
    }

    /** What an ONNX quantize wrote, and the MatMulNBits export's own summary when it made one (else null). */
    private record Written(OnnxQuantization.Outcome outcome, MatMulNBitsQuantization.Result nbits) {
        Written(MatMulNBitsQuantization.Result nbits) {
            this(nbits.outcome(), nbits);
        }
    }

    private void writeHtml(OnnxQuantization.Outcome outcome, OnnxOptions options, Path html) throws IOException {
        String method = options.projection().spec(), groups = options.grouping().spec();
        List<ReportData.AccuracyEntry> acc = new ArrayList<>();
        TaskAccuracy a = outcome.report().accuracy();
        if (a != null) {
            acc.add(new ReportData.AccuracyEntry("full precision", a.fpTop1(), null, null));
            acc.add(new ReportData.AccuracyEntry("ternary (" + method + ", " + groups + ")", a.ternaryTop1(), a.agreement(), a.meanCosine()));
        }
        ReportData data = OnnxReportPage.data(input.getFileName() + ": " + method + ", " + groups, input, outcome.result(), options.packing(), acc);
        if (outcome.calibration() != null && outcome.calibration().budget() != null) data = data.withMixed(OnnxReportPage.mixed(outcome.calibration().budget()));
        OnnxReportPage.write(html, data, input, output);
    }

    static boolean isGguf(Path p) {
        return p.getFileName() != null && p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf");
    }

    /** GGUF for llama.cpp: every ternarized tensor in 256-blocks of TQ2_0/TQ1_0, each with the method's own scale. */
    private int gguf() throws IOException {
        if (how.grouping != null && !how.grouping().equals(new Grouping.Block(256))) {
            throw new IllegalArgumentException("GGUF output stores one scale per 256-block: leave out --grouping or give block:256");
        }
        if (isOnnx(input)) throw new IllegalArgumentException("GGUF output takes a safetensors checkpoint, not an ONNX model");
        if (packed != null || report != null || allTensors || onnx.any() || calibration.calibrate != null || format != null) {
            throw new IllegalArgumentException("with GGUF output only --method, --gguf-type and --threads apply");
        }
        if (Boolean.FALSE.equals(how.halfScales())) throw new IllegalArgumentException("GGUF output stores FP16 scales: --scales f32 does not apply");
        long start = System.nanoTime();
        GgufExport.Result r = GgufExport.run(GgufExport.Request.of(input, output, how.projection())
                .with(GgufExport.Options.DEFAULT.withTernaryType(GgufType.parse(ggufType == null ? "TQ2_0" : ggufType)).withThreads(how.threads())));
        PrintWriter out = spec.commandLine().getOut();
        r.summary().forEach(out::println);
        out.flush();
        printDone(start);
        return 0;
    }

    /** Hugging Face's BitNet layout: one symmetric scale per Linear weight, packed 2-bit codes, quantization_config in config.json. */
    private int bitnet() throws IOException {
        if (isOnnx(input)) throw new IllegalArgumentException("--format bitnet takes a safetensors checkpoint, not an ONNX model");
        if (how.grouping != null && !how.grouping().equals(new Grouping.WholeTensor())) {
            throw new IllegalArgumentException("--format bitnet stores one scale per weight: leave out --grouping or give tensor");
        }
        if (packed != null || report != null || allTensors || onnx.onnxOnly() || onnx.html != null || calibration.calibrate != null) {
            throw new IllegalArgumentException("with --format bitnet only --method, --include, --exclude and --threads apply");
        }
        long start = System.nanoTime();
        SafetensorsQuantization.Outcome r = HfBitNetExport.run(new HfBitNetExport.Request(input, output, how.projection(),
                new Selection(onnx.patterns(onnx.include), onnx.patterns(onnx.exclude)), how.threads()));
        PrintWriter out = spec.commandLine().getOut();
        r.report().printTable(out);
        r.printKept(out);
        printDone(start);
        return 0;
    }

    static boolean isOnnx(Path p) {
        return p.getFileName() != null && p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx");
    }

    private void printDone(long start) throws IOException {
        double seconds = (System.nanoTime() - start) / 1e9;
        long bytes = SafetensorsCheckpoint.isShardedOrFolder(input) ? SafetensorsCheckpoint.shardBytes(input) : Files.size(input);
        long peak = peakResidentKb();
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s%s%s in %.1f s (%.1f MB/s of input)%s%n", output,
                packed == null ? "" : ", " + packed, report == null ? "" : ", " + report, seconds, bytes / 1e6 / seconds,
                peak < 0 ? "" : String.format(Locale.ROOT, ", peak memory %.0f MB resident", peak / 1024.0));
        spec.commandLine().getOut().flush();
    }

    /** The process's peak resident set (VmHWM) in KiB, or −1 where /proc does not tell it. */
    static long peakResidentKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | RuntimeException e) {
            return -1; // not Linux: the line goes without it
        }
        return -1;
    }

    /** Puts core's lists of method and grouping spellings into the --help text. */
    static final class HelpLists implements IModelTransformer {
        /** picocli's help width: longer footer lines it breaks at column 0, under the names. */
        private static final int WIDTH = 80;

        @Override
        public CommandSpec transform(CommandSpec spec) {
            List<String> footer = new ArrayList<>();
            footer.add("");
            footer.add("Methods (--method):");
            for (String s : Projections.HELP) footer.addAll(wrapped("  " + s, true));
            footer.add("Groupings (--grouping):");
            for (String s : Grouping.HELP) footer.addAll(wrapped("  " + s, true));
            footer.addAll(wrapped("Errors print one line 'ternary4j: FILE: problem' and leave no output file behind.", false));
            spec.usageMessage().footer(footer.toArray(String[]::new));
            return spec;
        }

        /** A line broken at spaces to fit {@link #WIDTH}; {@code hanging}: a "  name  description" line, continued under the description. */
        static List<String> wrapped(String line, boolean hanging) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\s*\\S+\\s+)").matcher(line);
            String indent = " ".repeat(hanging && m.find() && m.end() < WIDTH / 2 ? m.end() : 0);
            List<String> out = new ArrayList<>();
            String rest = line;
            while (rest.length() > WIDTH - 1) {
                int cut = rest.lastIndexOf(' ', WIDTH - 1);
                if (cut <= indent.length()) break;
                out.add(rest.substring(0, cut));
                rest = indent + rest.substring(cut + 1);
            }
            out.add(rest);
            return out;
        }
    }
}

package org.ternary4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.ternary4j.bench.EndToEndBench;
import org.ternary4j.bench.KernelBench;
import org.ternary4j.bench.RealModelsBench;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.formats.data.DataSources;
import org.ternary4j.formats.data.NdArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ternary4j bench kernels}: ternary GEMV/GEMM against FP32 Java, ONNX Runtime and llama.cpp. */
@Command(name = "kernels", mixinStandardHelpOptions = true,
        description = {"Packed ternary GEMV/GEMM (int8 activations) vs the Java FP32 Vector API GEMV/GEMM, ONNX Runtime FP32 MatMul "
                + "and, with --peer, llama.cpp TQ2_0/F32; medians and ratios in one run, weights streamed from memory. "
                + "The ternary column uses the layout the runtime chooses; when that is not the 2-bit layout, the same weights "
                + "in 2-bit codes are timed alongside (the 2-bit column)."})
final class KernelsBenchCommand implements Callable<Integer> {

    @Mixin JsonOption json;

    @Option(names = "--peer", paramLabel = "PROGRAM",
            description = "llama.cpp/ggml GEMV driver, run as PROGRAM ROWS COLS THREADS, printing lines '<type> <median µs>' "
                    + "(types tq2_0, f32). Without it the llama.cpp columns say n/a.")
    Path peer;

    @Option(names = "--shapes", split = ",", paramLabel = "RxC", description = "Matrix shapes (default 4096x4096,11008x4096).")
    List<String> shapes;

    @Option(names = "--threads", split = ",", description = "Thread counts (default 1,2).")
    List<Integer> threads;

    @Option(names = "--batches", split = ",", description = "Batch sizes; 1 is GEMV (default 1,16,128).")
    List<Integer> batches;

    @Option(names = "--grouping", description = "Scale grouping of the ternary weights: row (default) or block:G (block:256 is llama.cpp TQ2_0's).")
    String grouping = "row";

    @Option(names = "--e2e", description = "After the GEMV/GEMM table, run whole models end to end (LeNet-5, VGG from models/, ternarized "
            + "in-process): runtime auto (run's default), int8 and exact, one mode at a time, each vs ONNX Runtime FP32 timed beside it, "
            + "images/s at --e2e-batches, and prediction agreement.")
    boolean e2e;

    @Option(names = "--e2e-only", description = "Only the end-to-end section (implies --e2e).")
    boolean e2eOnly;

    @Option(names = "--e2e-models", split = ",", paramLabel = "MODEL.onnx", description = "Models for --e2e (default models/lenet5-fmnist.onnx, models/vgg-fmnist.onnx).")
    List<Path> e2eModels;

    @Option(names = "--e2e-batches", split = ",", description = "Batch sizes for --e2e (default 1,16).")
    List<Integer> e2eBatches;

    @Option(names = "--e2e-data", defaultValue = "fashion-mnist", paramLabel = "DATA", description = "Images for --e2e (default ${DEFAULT-VALUE}).")
    String e2eData;

    @Option(names = "--e2e-agreement", defaultValue = "1000", paramLabel = "N", description = "Images on which --e2e compares predictions (default ${DEFAULT-VALUE}).")
    int e2eAgreement;

    @Option(names = "--real-models", description = "Only the fetched real models end to end (PaddleOCR cls, rec and det, all-minilm-l6-v2 from "
            + ".cache/models): runtime auto (run's default), int8 and exact vs ONNX Runtime FP32, medians and ratios, bits per ternary weight; "
            + "each model in a JVM of its own.")
    boolean realModels;

    @Option(names = "--real-model", split = ",", paramLabel = "NAME", description = "With --real-models: only these (ocr-cls, ocr-rec, ocr-det, minilm).")
    List<String> realModelNames;

    @Option(names = "--real-batch", defaultValue = "1", paramLabel = "N", description = "With --real-models: examples per run (default ${DEFAULT-VALUE}; "
            + "different lines, pages or sentences of the same size).")
    int realBatch;

    @Option(names = "--profile", description = "With --real-models: also the runtime's time per operator (fused layers under theirs).")
    boolean profile;

    @Option(names = "--quick", description = "Shorter warm-up and fewer samples (smoke test; numbers are noisier).")
    boolean quick;

    @Override
    public Integer call() throws Exception {
        KernelBench.Options d = KernelBench.Options.defaults(peer, json.on, quick);
        List<int[]> parsed = d.shapes();
        if (shapes != null) {
            parsed = new ArrayList<>();
            for (String s : shapes) parsed.add(parseShape(s));
        }
        for (int t : threads == null ? d.threads() : threads) if (t < 1) throw new IllegalArgumentException("--threads: " + t + " must be ≥ 1");
        for (int b : batches == null ? d.batches() : batches) if (b < 1) throw new IllegalArgumentException("--batches: " + b + " must be ≥ 1");
        Grouping g = Grouping.parse(grouping);
        if (!(g instanceof Grouping.Row || g instanceof Grouping.Block || g instanceof Grouping.WholeTensor)) {
            throw new IllegalArgumentException("--grouping: " + grouping + " does not apply to a matrix; use row, tensor or block:G");
        }
        if (realModels) {
            List<String> names = realModelNames == null || realModelNames.isEmpty() ? RealModelsBench.Options.MODELS : realModelNames;
            for (String n : names) if (!RealModelsBench.Options.MODELS.contains(n)) throw new IllegalArgumentException("--real-model: " + n + " is not one of " + String.join(", ", RealModelsBench.Options.MODELS));
            if (realBatch < 1) throw new IllegalArgumentException("--real-batch: " + realBatch + " must be ≥ 1");
            if (names.size() > 1) {
                for (String n : names) {
                    int rc = isolated(n);
                    if (rc != 0) return rc;
                }
                return 0;
            }
            Path root = Path.of(System.getProperty("t4j.root", "."));
            new RealModelsBench(new RealModelsBench.Options(root.resolve(".cache/models"), threads == null ? List.of(2) : threads, realBatch, json.on, quick, profile, names),
                    System.out).run();
            return 0;
        }
        if (!e2eOnly) {
            new KernelBench(new KernelBench.Options(parsed, threads == null ? d.threads() : threads, batches == null ? d.batches() : batches,
                    g, peer, json.on, quick), System.out).run();
        }
        if (e2e || e2eOnly) endToEnd(threads == null ? d.threads() : threads);
        return 0;
    }

    /**
     * This command for one real model in a JVM of its own, with this JVM's options: the Vector API's
     * speed depends on the type profiles C2 compiles it with, and after the OCR models' kernels
     * (other vector shapes) MiniLM's int8 run boxed its vectors (65 against 1.4 MB allocated a
     * run) and took 13.9 against 7.2 ms in the same JVM. Returns the child's exit status.
     */
    private int isolated(String model) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "bench", "kernels", "--real-models", "--real-model", model));
        if (threads != null) cmd.addAll(List.of("--threads", String.join(",", threads.stream().map(String::valueOf).toList())));
        cmd.addAll(List.of("--real-batch", String.valueOf(realBatch)));
        if (json.on) cmd.add("--json");
        if (quick) cmd.add("--quick");
        if (profile) cmd.add("--profile");
        return new ProcessBuilder(cmd).inheritIO().start().waitFor();
    }

    private void endToEnd(List<Integer> threadCounts) throws Exception {
        if (e2eAgreement < 1) throw new IllegalArgumentException("--e2e-agreement must be ≥ 1");
        List<Integer> b = e2eBatches == null ? List.of(1, 16) : e2eBatches;
        for (int x : b) if (x < 1) throw new IllegalArgumentException("--e2e-batches: " + x + " must be ≥ 1");
        Path root = Path.of(System.getProperty("t4j.root", "."));
        List<Path> models = e2eModels != null ? e2eModels : List.of(root.resolve("models/lenet5-fmnist.onnx"), root.resolve("models/vgg-fmnist.onnx"));
        for (Path m : models) if (!java.nio.file.Files.isRegularFile(m)) throw new IllegalArgumentException(m + ": no such model file");
        NdArray images = DataSources.load(e2eData, null).inputs().getFirst().array();
        new EndToEndBench(new EndToEndBench.Options(models, images.data(), images.shape(), threadCounts, b, e2eAgreement, json.on, quick), System.out).run();
    }

    private static int[] parseShape(String s) {
        String[] p = s.split("x");
        try {
            if (p.length == 2) {
                int r = Integer.parseInt(p[0]), c = Integer.parseInt(p[1]);
                if (r >= 1 && c >= 1) return new int[] {r, c};
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("--shapes: '" + s + "' is not ROWSxCOLS with positive integers");
    }
}

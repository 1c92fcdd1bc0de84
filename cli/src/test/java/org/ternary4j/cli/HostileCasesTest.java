package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.data.NdArray;

/**
 * The error contract on every command, tried as a hostile user would: broken, invalid and
 * non-regular inputs, outputs aliasing inputs or each other or naming non-files, bad data sets,
 * corrupted packed files, a full disk. Each case must exit 1 with one line
 * {@code ternary4j: …FILE…: problem}, leave no output (nor any temporary file) behind, leave its
 * inputs byte-identical and finish within the timeout (a FIFO must never block).
 */
class HostileCasesTest {
    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static final java.io.PrintStream LOG = System.out;

    @TempDir static Path dir;
    static Path out, model, good, labelless, fifo, outFifo, folder, dequantized, packed;
    static Path full;
    static final Map<String, Path> BAD_MODELS = new LinkedHashMap<>();
    static final Map<String, Path> BAD_DATA = new LinkedHashMap<>();
    static final Map<String, Path> BAD_PACKED = new LinkedHashMap<>();
    static final Map<String, Integer> TRIED = new TreeMap<>();

    @BeforeAll
    static void files() throws Exception {
        out = Files.createDirectory(dir.resolve("out"));
        model = Files.copy(TaskCommandsTest.LENET, dir.resolve("m.onnx"));
        good = HostileFiles.npz(dir.resolve("good.npz"), 4, 0.5f, new int[] {0, 1, 2, 3});
        labelless = HostileFiles.npz(dir.resolve("labelless.npz"), 4, 0.5f, null);
        fifo = HostileFiles.fifo(dir.resolve("fifo"));
        outFifo = HostileFiles.fifo(out.resolve("out-fifo"));
        folder = Files.createDirectory(dir.resolve("folder"));

        BAD_MODELS.put("FIFO", fifo);
        BAD_MODELS.put("folder", Files.createDirectory(dir.resolve("folder.onnx")));
        BAD_MODELS.put("missing", dir.resolve("none.onnx"));
        BAD_MODELS.put("garbage", Files.write(dir.resolve("garbage.onnx"), "this is not a model".getBytes()));
        byte[] lenet = Files.readAllBytes(model);
        BAD_MODELS.put("truncated", Files.write(dir.resolve("truncated.onnx"), Arrays.copyOf(lenet, lenet.length / 2)));
        int k = 0;
        for (var d : HostileFiles.graphDefects().entrySet()) BAD_MODELS.put(d.getKey(), HostileFiles.edited(model, dir.resolve("defect" + k++ + ".onnx"), d.getValue()));

        BAD_DATA.put("FIFO", fifo);
        BAD_DATA.put("missing", dir.resolve("none.npz"));
        BAD_DATA.put("NaN input", HostileFiles.npz(dir.resolve("nan.npz"), 4, Float.NaN, new int[] {0, 1, 2, 3}));
        BAD_DATA.put("infinite input", HostileFiles.npz(dir.resolve("inf.npz"), 4, Float.POSITIVE_INFINITY, new int[] {0, 1, 2, 3}));
        BAD_DATA.put("no examples", HostileFiles.npz(dir.resolve("empty.npz"), 0, 0f, new int[0]));
        BAD_DATA.put("label out of range", HostileFiles.npz(dir.resolve("label10.npz"), 4, 0.5f, new int[] {0, 1, 10, 3}));
        BAD_DATA.put("duplicate entry names", HostileFiles.duplicateEntries(dir.resolve("dup.npz")));
        BAD_DATA.put("entry named like a path", HostileFiles.npz(dir.resolve("path.npz"), new NdArray(new int[] {2, 1, 28, 28}, new float[2 * 784]), "../x", null));
        BAD_DATA.put("wrong shape for the model", HostileFiles.npz(dir.resolve("shape.npz"), new NdArray(new int[] {4, 3}, new float[12]), "x", new int[] {0, 1, 2, 3}));

        dequantized = dir.resolve("t.onnx");
        packed = dir.resolve("t.packed.safetensors");
        CliRun q = CliRun.of("quantize", model.toString(), "-o", dequantized.toString(), "--method", "tnt", "--grouping", "row", "--packed", packed.toString());
        assertEquals(0, q.exitCode(), q.err());
        BAD_PACKED.put("FIFO", fifo);
        BAD_PACKED.put("folder", folder);
        BAD_PACKED.put("missing", dir.resolve("none.safetensors"));
        BAD_PACKED.put("garbage", Files.write(dir.resolve("garbage.safetensors"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9}));
        BAD_PACKED.put("codes and scales without metadata", HostileFiles.packedWithMetadata(packed, dir.resolve("nometa.safetensors"), m -> m.remove("conv2.weight")));
        BAD_PACKED.put("metadata without codes and scales", HostileFiles.packedWithMetadata(packed, dir.resolve("ghost.safetensors"),
                m -> m.set("ghost.weight", m.get("conv2.weight"))));

        full = TinyDisk.mount(dir.resolve("full"));
    }

    @AfterAll
    static void finish() throws Exception {
        release();
        TinyDisk.unmount(full);
        System.out.println("hostile cases tried per command: " + TRIED);
    }

    /** A reader stuck on a FIFO (a failed case) is released by a writer opening it. */
    static void release() {
        for (Path f : List.of(fifo, outFifo)) {
            Thread t = new Thread(() -> {
                try (FileOutputStream s = new FileOutputStream(f.toFile())) {
                    s.flush();
                } catch (IOException ignored) {
                    // nobody was blocked
                }
            });
            t.setDaemon(true);
            t.start();
        }
    }

    /** One hostile command line: the file its message must name, the outputs it must not leave, the inputs it must not change. */
    record Case(String command, String what, List<String> args, Path named, List<Path> outputs) {
        DynamicTest test() {
            TRIED.merge(command, 1, Integer::sum);
            return dynamicTest(command + ": " + what, () -> {
                try {
                    assertTimeoutPreemptively(LIMIT, this::check);
                    LOG.println("hostile case passed: " + command + ": " + what);
                } catch (AssertionError e) {
                    LOG.println("hostile case FAILED: " + command + ": " + what + ": " + e.getMessage());
                    release();   // a case stuck on a FIFO holds CliRun's lock until a writer opens it
                    throw e;
                }
            });
        }

        void check() throws IOException {
            Map<Path, String> before = snapshot();
            CliRun r = CliRun.of(args.toArray(String[]::new));
            String err = r.err();
            assertEquals(Errors.BAD_INPUT, r.exitCode(), "exit code; stderr: " + err);
            assertTrue(err.startsWith("ternary4j: ") && err.endsWith("\n") && err.indexOf('\n') == err.length() - 1,
                    "one line 'ternary4j: …' on stderr, got: " + err);
            assertTrue(err.contains(named.toString()), "the message names " + named + ": " + err);
            assertEquals(before, snapshot(), "outputs left behind or inputs changed; stderr: " + err);
        }

        /** Every file the case names, the output folder's listing and the full disk's, by content or kind. */
        private Map<Path, String> snapshot() throws IOException {
            Map<Path, String> s = new TreeMap<>();
            for (String a : args) {
                Path p = Path.of(a);
                if (a.startsWith("-") || !a.contains("/")) continue;
                s.put(p, state(p));
            }
            for (Path p : outputs) s.put(p, state(p));
            s.put(out, listing(out));
            if (full != null) s.put(full, listing(full));
            return s;
        }

        private static String state(Path p) throws IOException {
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return "absent";
            if (Files.isSymbolicLink(p)) return "link to " + Files.readSymbolicLink(p) + ", " + state(p.toRealPath());
            if (Files.isRegularFile(p)) return "file " + Arrays.hashCode(Files.readAllBytes(p)) + " " + Files.size(p);
            return Files.isDirectory(p) ? "folder" : "other";
        }

        private static String listing(Path folder) throws IOException {
            try (Stream<Path> files = Files.list(folder)) {
                return new TreeSet<>(files.map(p -> p.getFileName().toString()).toList()).toString();
            }
        }
    }

    private static List<String> list(Object... args) {
        return Arrays.stream(args).map(String::valueOf).toList();
    }

    private static List<String> with(List<String> base, Object... more) {
        List<String> l = new ArrayList<>(base);
        l.addAll(list(more));
        return l;
    }

    /**
     * ONNX Runtime writes its own log lines to the process's stderr (native, with colour codes),
     * which in-process runs cannot see: a child JVM runs eval on a model ONNX Runtime refuses
     * (a Gemm weight of the wrong shape, which the graph check does not look at).
     */
    @org.junit.jupiter.api.Test
    @org.junit.jupiter.api.Timeout(120)
    void onnxRuntimeLogsNothingBeforeTheOneLineError() throws Exception {
        Path bad = HostileFiles.edited(model, dir.resolve("wrong-gemm.onnx"), HostileFiles.wrongGemmWeight());
        String javaCommand = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaCommand, "-Xmx256m", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-Donnxruntime.native.path=" + System.getProperty("onnxruntime.native.path", ""), "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "eval", bad.toString(), "--data", good.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(Errors.BAD_INPUT, p.waitFor(), err);
        List<String> lines = err.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
        assertEquals(1, lines.size(), err);
        assertTrue(lines.getFirst().startsWith("ternary4j: " + bad + ": "), err);
    }

    @TestFactory
    Stream<DynamicTest> quantize() throws IOException {
        Path o = out.resolve("q.onnx"), p = out.resolve("q.packed.safetensors"), j = out.resolve("q.json"), h = out.resolve("q.html");
        List<String> how = list("--method", "tnt", "--grouping", "row");
        List<Path> outs = List.of(o, p, j, h);
        List<Case> cases = new ArrayList<>();
        for (var m : BAD_MODELS.entrySet()) cases.add(new Case("quantize", "model: " + m.getKey(), with(list("quantize", m.getValue(), "-o", o), how.toArray()), m.getValue(), outs));
        Path link = dir.resolve("link.onnx"), hard = dir.resolve("hard.onnx");
        if (!Files.exists(link, LinkOption.NOFOLLOW_LINKS)) Files.createSymbolicLink(link, model);
        if (!Files.exists(hard)) Files.createLink(hard, model);
        for (Path alias : List.of(model, link, hard, Path.of(dir + "/./m.onnx"))) {
            cases.add(new Case("quantize", "-o is the input as " + alias.getFileName(), with(list("quantize", model, "-o", alias), how.toArray()), alias, outs));
        }
        List<String> base = with(list("quantize", model, "-o", o), how.toArray());
        cases.add(new Case("quantize", "--packed is the input", with(base, "--packed", model), model, outs));
        cases.add(new Case("quantize", "--report is -o", with(base, "--report", o), o, outs));
        cases.add(new Case("quantize", "--html is the input", with(base, "--html", model), model, outs));
        cases.add(new Case("quantize", "--html is the --eval data", with(base, "--eval", good, "--html", good), good, outs));
        cases.add(new Case("quantize", "--packed is --html", with(base, "--packed", h, "--html", h), h, outs));
        cases.add(new Case("quantize", "-o is a FIFO", with(list("quantize", model, "-o", outFifo), how.toArray()), outFifo, outs));
        cases.add(new Case("quantize", "-o is a folder", with(list("quantize", model, "-o", folder), how.toArray()), folder, outs));
        cases.add(new Case("quantize", "-o is a device", with(list("quantize", model, "-o", "/dev/null"), how.toArray()), Path.of("/dev/null"), outs));
        cases.add(new Case("quantize", "--packed is a device", with(base, "--packed", "/dev/null"), Path.of("/dev/null"), outs));
        cases.add(new Case("quantize", "--report is a folder", with(base, "--report", folder), folder, outs));
        Path nowhere = dir.resolve("no-folder/q.onnx");
        cases.add(new Case("quantize", "-o in a missing folder", with(list("quantize", model, "-o", nowhere), how.toArray()), nowhere, outs));
        List<String> all = with(base, "--packed", p, "--report", j, "--html", h);
        for (var d : BAD_DATA.entrySet()) cases.add(new Case("quantize", "--eval " + d.getKey(), with(all, "--eval", d.getValue()), d.getValue(), outs));
        for (var d : BAD_DATA.entrySet()) {
            if (d.getKey().startsWith("label")) continue;   // calibration reads no labels
            cases.add(new Case("quantize", "--calibrate " + d.getKey(), with(all, "--calibrate", d.getValue()), d.getValue(), outs));
        }
        if (full != null) {
            Path fo = full.resolve("q.onnx"), fp = full.resolve("q.packed.safetensors");
            cases.add(new Case("quantize", "disk full: -o", with(list("quantize", model, "-o", fo), how.toArray()), fo, outs));
            cases.add(new Case("quantize", "disk full: --packed, -o elsewhere", with(base, "--packed", fp, "--report", j), fp, outs));
            Path fh = full.resolve("q.html");
            cases.add(new Case("quantize", "disk full: --html, -o elsewhere", with(base, "--packed", p, "--html", fh), fh, outs));
        }
        return cases.stream().map(Case::test);
    }

    @TestFactory
    Stream<DynamicTest> eval() {
        List<Case> cases = new ArrayList<>();
        for (var m : BAD_MODELS.entrySet()) cases.add(new Case("eval", "model: " + m.getKey(), list("eval", m.getValue(), "--data", good), m.getValue(), List.of()));
        for (String m : List.of("FIFO", "garbage", "node consuming its own output")) {
            Path bad = BAD_MODELS.get(m);
            cases.add(new Case("eval", "--compare " + m, list("eval", model, "--compare", bad, "--data", good), bad, List.of()));
        }
        for (var d : BAD_DATA.entrySet()) cases.add(new Case("eval", "data: " + d.getKey(), list("eval", model, "--data", d.getValue()), d.getValue(), List.of()));
        cases.add(new Case("eval", "--labels FIFO", list("eval", model, "--data", labelless, "--labels", fifo), fifo, List.of()));
        cases.add(new Case("eval", "data: a folder without IDX files", list("eval", model, "--data", folder), folder, List.of()));
        return cases.stream().map(Case::test);
    }

    @TestFactory
    Stream<DynamicTest> run() {
        List<Case> cases = new ArrayList<>();
        for (var m : BAD_MODELS.entrySet()) {
            cases.add(new Case("run", "model: " + m.getKey(), list("run", m.getValue(), "--packed", packed, "--data", good), m.getValue(), List.of()));
        }
        for (var p : BAD_PACKED.entrySet()) {
            cases.add(new Case("run", "--packed " + p.getKey(), list("run", dequantized, "--packed", p.getValue(), "--data", good), p.getValue(), List.of()));
        }
        for (var d : BAD_DATA.entrySet()) {
            cases.add(new Case("run", "data: " + d.getKey(), list("run", dequantized, "--packed", packed, "--data", d.getValue()), d.getValue(), List.of()));
        }
        return cases.stream().map(Case::test);
    }

    @TestFactory
    Stream<DynamicTest> sweep() throws IOException {
        Path h = out.resolve("s.html");
        List<String> how = list("--methods", "tnt", "--groupings", "row", "--no-progress");
        List<Case> cases = new ArrayList<>();
        for (var m : BAD_MODELS.entrySet()) {
            cases.add(new Case("sweep", "model: " + m.getKey(), with(list("sweep", m.getValue(), "--data", good, "--html", h), how.toArray()), m.getValue(), List.of(h)));
        }
        for (var d : BAD_DATA.entrySet()) {
            cases.add(new Case("sweep", "data: " + d.getKey(), with(list("sweep", model, "--data", d.getValue(), "--html", h), how.toArray()), d.getValue(), List.of(h)));
        }
        Path link = dir.resolve("sweep-link.onnx"), hard = dir.resolve("sweep-hard.npz");
        if (!Files.exists(link, LinkOption.NOFOLLOW_LINKS)) Files.createSymbolicLink(link, model);
        if (!Files.exists(hard)) Files.createLink(hard, good);
        for (Path target : List.of(good, model, link, hard, outFifo, folder, Path.of("/dev/null"), dir.resolve("no-folder/s.html"))) {
            cases.add(new Case("sweep", "--html " + target.getFileName(), with(list("sweep", model, "--data", good, "--html", target), how.toArray()), target, List.of(h)));
        }
        if (full != null) {
            Path fh = full.resolve("s.html");
            cases.add(new Case("sweep", "disk full: --html", with(list("sweep", model, "--data", good, "--html", fh), how.toArray()), fh, List.of(h)));
        }
        return cases.stream().map(Case::test);
    }

    @TestFactory
    Stream<DynamicTest> demo() {
        Path h = out.resolve("d.html");
        List<String> quick = list("--limit", "8", "--calibration-images", "8", "--no-progress");
        List<Case> cases = new ArrayList<>();
        for (var m : BAD_MODELS.entrySet()) {
            cases.add(new Case("demo", "--model " + m.getKey(), with(list("demo", "--model", m.getValue(), "--html", h), quick.toArray()), m.getValue(), List.of(h)));
        }
        for (Path target : List.of(model, outFifo, folder, Path.of("/dev/null"))) {
            cases.add(new Case("demo", "--html " + target.getFileName(), with(list("demo", "--model", model, "--html", target), quick.toArray()), target, List.of(h)));
        }
        if (full != null) {
            Path fh = full.resolve("d.html");
            cases.add(new Case("demo", "disk full: --html", with(list("demo", "--model", model, "--html", fh), quick.toArray()), fh, List.of(h)));
        }
        return cases.stream().map(Case::test);
    }

    @TestFactory
    Stream<DynamicTest> train() {
        Path o = out.resolve("t.onnx"), log = out.resolve("t.csv");
        // From scratch (--model) and quantization-aware (--init): the two kinds of training, each with its own inputs.
        List<String> base = list("train", "--model", "lenet5", "--epochs", "1", "--train-limit", "64", "--no-progress");
        List<String> qat = list("train", "--method", "ttq", "--epochs", "1", "--train-limit", "64", "--bn-examples", "32", "--no-progress");
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("train", "-o is --init", with(qat, "--init", model, "-o", model), model, List.of(log)));
        cases.add(new Case("train", "-o is a link to --init", with(qat, "--init", model, "-o", dir.resolve("link.onnx")), dir.resolve("link.onnx"), List.of(log)));
        cases.add(new Case("train", "--log is --init", with(qat, "--init", model, "-o", o, "--log", model), model, List.of(o)));
        cases.add(new Case("train", "--log is -o", with(base, "-o", o, "--log", o), o, List.of(log)));
        for (Path target : List.of(outFifo, folder, Path.of("/dev/null"), dir.resolve("no-folder/t.onnx"))) {
            cases.add(new Case("train", "-o " + target.getFileName(), with(base, "-o", target, "--log", log), target, List.of(o, log)));
            cases.add(new Case("train", "QAT -o " + target.getFileName(), with(qat, "--init", model, "-o", target, "--log", log), target, List.of(o, log)));
        }
        cases.add(new Case("train", "--log FIFO", with(base, "-o", o, "--log", outFifo), outFifo, List.of(o)));
        for (String m : List.of("FIFO", "garbage", "missing", "node consuming its own output", "duplicate initializer, other shape")) {
            Path bad = BAD_MODELS.get(m);
            cases.add(new Case("train", "--init " + m, with(qat, "--init", bad, "-o", o, "--log", log), bad, List.of(o, log)));
        }
        cases.add(new Case("train", "--data FIFO", with(base, "--data", fifo, "-o", o), fifo, List.of(o)));
        cases.add(new Case("train", "--data missing", with(base, "--data", dir.resolve("no-data"), "-o", o), dir.resolve("no-data"), List.of(o)));
        cases.add(new Case("train", "QAT --data FIFO", with(qat, "--init", model, "--data", fifo, "-o", o), fifo, List.of(o)));
        cases.add(new Case("train", "QAT --data missing", with(qat, "--init", model, "--data", dir.resolve("no-data"), "-o", o), dir.resolve("no-data"), List.of(o)));
        return cases.stream().map(Case::test);
    }

    /** finetune: the paths and inputs of quantization-aware training's QAT cases above, refused before training starts. */
    @TestFactory
    Stream<DynamicTest> finetune() {
        Path o = out.resolve("f.onnx"), p = out.resolve("f.packed.safetensors");
        List<String> base = list("finetune", model, "--data", good, "--method", "tnt", "--epochs", "1", "--no-progress");
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("finetune", "-o is the model", with(base, "-o", model), model, List.of(p)));
        cases.add(new Case("finetune", "--packed is -o", with(base, "-o", o, "--packed", o), o, List.of(p)));
        cases.add(new Case("finetune", "--packed is the data", with(base, "-o", o, "--packed", good), good, List.of(o)));
        for (Path target : List.of(outFifo, folder, Path.of("/dev/null"), dir.resolve("no-folder/f.onnx"))) {
            cases.add(new Case("finetune", "-o " + target.getFileName(), with(base, "-o", target, "--packed", p), target, List.of(o, p)));
        }
        for (String m : List.of("FIFO", "garbage", "missing", "truncated", "node consuming its own output")) {
            Path bad = BAD_MODELS.get(m);
            cases.add(new Case("finetune", "model " + m, list("finetune", bad, "--data", good, "--method", "tnt", "--epochs", "1", "--no-progress", "-o", o), bad, List.of(o)));
        }
        for (String d : List.of("FIFO", "missing", "NaN input", "no examples")) {
            Path bad = BAD_DATA.get(d);
            cases.add(new Case("finetune", "--data " + d, list("finetune", model, "--data", bad, "--method", "tnt", "--epochs", "1", "--no-progress", "-o", o), bad, List.of(o)));
        }
        return cases.stream().map(Case::test);
    }

    @TestFactory
    Stream<DynamicTest> task() {
        Path c = out.resolve("c.npz");
        List<String> base = list("task", "ocr-orientation", "--lines", "2", "--calibration-lines", "2");
        List<Case> cases = new ArrayList<>();
        for (Path target : List.of(outFifo, folder, Path.of("/dev/null"), dir.resolve("no-folder/c.npz"))) {
            cases.add(new Case("task", "--write-calibration " + target.getFileName(), with(base, "--write-calibration", target), target, List.of(c)));
        }
        cases.add(new Case("task", "--write-calibration is --dict", list("task", "ocr-recognition", "--dict", good, "--write-calibration", good,
                "--calibration-lines", "2"), good, List.of(c)));
        if (full != null) {
            Path fc = full.resolve("c.npz");
            cases.add(new Case("task", "disk full: --write-calibration", list("task", "ocr-orientation", "--calibration-lines", "64", "--write-calibration", fc), fc, List.of(c)));
        }
        for (String m : List.of("FIFO", "garbage", "missing", "node consuming its own output")) {
            Path bad = BAD_MODELS.get(m);
            cases.add(new Case("task", "model " + m, with(base, bad), bad, List.of(c)));
        }
        Path dict = Path.of(fifo.toString());
        cases.add(new Case("task", "--dict FIFO", list("task", "ocr-recognition", model, "--dict", dict, "--lines", "2"), dict, List.of(c)));
        return cases.stream().map(Case::test);
    }
}

package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line as a whole: one line for every usage mistake, a version everywhere. */
class MainTest {

    /** Every runnable command, as the words that name it ("bench", "kernels"). */
    private static List<List<String>> commands(CommandLine cli, List<String> path) {
        List<List<String>> all = new ArrayList<>();
        for (var e : cli.getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) continue;
            List<String> p = new ArrayList<>(path);
            p.add(e.getKey());
            if (e.getValue().getSubcommands().isEmpty()) all.add(p);
            else all.addAll(commands(e.getValue(), p));
        }
        return all;
    }

    private static List<List<String>> allCommands() {
        List<List<String>> all = commands(Main.commandLine(), List.of());
        assertTrue(all.size() >= 9, "quantize, eval, sweep, train, run, demo and three benchmarks: " + all);
        return all;
    }

    private static String[] args(List<String> command, String... more) {
        List<String> a = new ArrayList<>(command);
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void missingRequiredOptionIsOneLine() {
        CliRun r = CliRun.of("run", "m.onnx", "--packed", "p.safetensors");
        assertEquals(Errors.USAGE, r.exitCode());
        assertEquals("ternary4j: missing required option '--data'; see 'ternary4j run --help'\n", r.err());
        assertEquals("", r.out());
        r = CliRun.of("run", "m.onnx");
        assertEquals("ternary4j: missing required options '--packed', '--data'; see 'ternary4j run --help'\n", r.err());
        r = CliRun.of("eval", "--data", "fashion-mnist");
        assertEquals("ternary4j: missing required parameter 'MODEL.onnx'; see 'ternary4j eval --help'\n", r.err());
        r = CliRun.of("eval", "m.onnx", "--data");
        assertEquals("ternary4j: option '--data' needs a value; see 'ternary4j eval --help'\n", r.err());
    }

    @Test
    void everyCommandAnswersAnUnknownOptionInOneLine() {
        for (List<String> c : allCommands()) {
            CliRun r = CliRun.of(args(c, "--zzz"));
            String name = "ternary4j " + String.join(" ", c);
            assertEquals(Errors.USAGE, r.exitCode(), name);
            assertEquals("ternary4j: unknown option '--zzz'; see '" + name + " --help'\n", r.err(), name);
            assertEquals("", r.out(), name);
        }
    }

    @Test
    void badValuesAndUnknownCommandsAreOneLine() {
        CliRun r = CliRun.of("run", "m.onnx", "--packed", "p", "--data", "x", "--batch", "0");
        assertEquals(Errors.USAGE, r.exitCode());
        assertEquals("ternary4j: invalid value for option '--batch': '0' is not ≥ 1; see 'ternary4j run --help'\n", r.err());
        r = CliRun.of("sweep", "m.onnx", "--data", "x", "--threads", "two");
        assertEquals("ternary4j: invalid value for option '--threads': 'two' is not a whole number; see 'ternary4j sweep --help'\n", r.err());
        r = CliRun.of("qantize");
        assertEquals(Errors.USAGE, r.exitCode());
        assertTrue(r.err().startsWith("ternary4j: unknown command 'qantize' (did you mean quantize"), r.err());
        assertEquals(1, r.err().lines().count());
        r = CliRun.of("bench");
        assertEquals("ternary4j: missing command (projection, kernels, streaming); see 'ternary4j bench --help'\n", r.err());
        r = CliRun.of();
        assertTrue(r.err().startsWith("ternary4j: missing command (quantize, eval, sweep, train, finetune, run, demo, bench, task)"), r.err());
    }

    @Test
    void everyCommandPrintsTheVersion() {
        for (String flag : List.of("-V", "--version")) {
            assertEquals(Main.VERSION + "\n", CliRun.of(flag).out());
            for (List<String> c : allCommands()) {
                CliRun r = CliRun.of(args(c, flag));
                assertEquals(0, r.exitCode(), c.toString());
                assertEquals(Main.VERSION + "\n", r.out(), c.toString());
            }
        }
    }

    @Test
    void aNamedCommandIsTheOnlyOneBuilt() {
        assertEquals(List.of("quantize"), List.copyOf(Main.commandLine("quantize", "in.safetensors").getSubcommands().keySet()));
        assertEquals(List.of("bench"), List.copyOf(Main.commandLine("bench", "kernels").getSubcommands().keySet()));
        for (String[] args : List.of(new String[0], new String[] {"help", "quantize"}, new String[] {"--help"}, new String[] {"qantize"})) {
            assertEquals(List.of("help", "quantize", "eval", "sweep", "train", "finetune", "run", "demo", "bench", "task"),
                    List.copyOf(Main.commandLine(args).getSubcommands().keySet()), List.of(args).toString());
        }
        CliRun r = CliRun.of("help", "quantize");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().startsWith("Usage: ternary4j quantize"), r.out());
    }

    @Test
    void anUnknownRealModelIsOneLine() {
        CliRun r = CliRun.of("bench", "kernels", "--real-models", "--real-model", "minilm,bogus");
        assertNotEquals(0, r.exitCode());
        assertEquals("ternary4j: --real-model: bogus is not one of ocr-cls, ocr-rec, minilm, ocr-det\n", r.err());
    }

    @Test
    void aRealBatchBelowOneIsOneLine() {
        CliRun r = CliRun.of("bench", "kernels", "--real-models", "--real-model", "minilm", "--real-batch", "0");
        assertNotEquals(0, r.exitCode());
        assertEquals("ternary4j: --real-batch: 0 must be ≥ 1\n", r.err());
    }

    @Test
    void helpIsStillTheFullUsage() {
        CliRun r = CliRun.of("run", "--help");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().contains("--data=DATA") && r.out().contains("random:N[:SEED]"), r.out());
        assertFalse(r.out().contains("ternary4j:"), r.out());
    }
}

package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad arguments to {@code train} fail at once with one line, before any data or engine is loaded. */
class TrainCommandTest {
    @TempDir
    Path dir;

    private static String[] run(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new String[] {Integer.toString(code), err.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setErr(old);
        }
    }

    @Test
    void unknownModelMethodOrGroupingIsOneLine() {
        Path out = dir.resolve("m.onnx");
        String[] r = run("train", "--model", "alexnet", "-o", out.toString());
        assertEquals("1", r[0]);
        assertEquals("ternary4j: model 'alexnet': unknown; one of mlp, lenet5, vgg, resnet20", r[1].strip());
        r = run("train", "--model", "lenet5", "--method", "xnor", "-o", out.toString());
        assertTrue(r[1].strip().startsWith("ternary4j: method 'xnor': unknown"), r[1]);
        r = run("train", "--model", "lenet5", "--method", "tga", "--grouping", "row", "-o", out.toString());
        assertTrue(r[1].contains("grouping must be 'tensor'"), r[1]);
        assertFalse(Files.exists(out));
    }

    @Test
    void refusesToOverwriteTheInitModelOrWriteIntoAMissingFolder() throws Exception {
        Path init = Files.writeString(dir.resolve("fp.onnx"), "not really a model");
        String[] r = run("train", "--model", "lenet5", "--method", "ttq", "--init", init.toString(), "-o", init.toString());
        assertEquals("1", r[0]);
        assertTrue(r[1].contains("would overwrite the input file"), r[1]);
        assertEquals("not really a model", Files.readString(init));
        r = run("train", "--model", "lenet5", "-o", dir.resolve("no/such/dir/m.onnx").toString());
        assertTrue(r[1].contains("output folder does not exist"), r[1]);
    }
}

package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Outputs never overwrite inputs or each other, never replace a non-file, and nothing is written first. */
class PathGuardTest {
    @TempDir
    Path dir;

    @Test
    void outputsAreCheckedAgainstInputsOutputsAndNonFiles() throws Exception {
        Path in = Files.writeString(dir.resolve("data.npz"), "x"), link = dir.resolve("link.npz"), hard = dir.resolve("hard.npz");
        Files.createSymbolicLink(link, in);
        Files.createLink(hard, in);
        for (Path alias : new Path[] {in, link, hard, dir.resolve("./data.npz")}) {
            IOException e = assertThrows(IOException.class, () -> new PathGuard().data(in.toString()).output(alias).check());
            assertTrue(e.getMessage().startsWith(alias + ": output would overwrite the input file"), e.getMessage());
        }
        IOException twice = assertThrows(IOException.class, () -> new PathGuard().output(dir.resolve("a")).output(dir.resolve("a")).check());
        assertTrue(twice.getMessage().endsWith("names the same file as another output"), twice.getMessage());
        assertThrows(IOException.class, () -> new PathGuard().output(dir).check());
        Path fifo = dir.resolve("fifo");
        Assumptions.assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo unavailable");
        assertEquals(fifo + ": output exists and is not a regular file",
                assertThrows(IOException.class, () -> new PathGuard().output(fifo).check()).getMessage());
        new PathGuard().data("fashion-mnist").data("random:8").data(in + ":16").output(dir.resolve("new.html")).check();
        assertThrows(IOException.class, () -> new PathGuard().data(in + ":16").output(in).check(), "a count suffix still names the file");
    }

    @Test
    void sweepRefusesToWriteItsReportOverItsData() throws IOException {
        Path data = Files.write(dir.resolve("d.npz"), new byte[] {1, 2, 3});
        CliRun r = CliRun.of("sweep", TaskCommandsTest.LENET.toString(), "--data", data.toString(), "--html", data.toString());
        assertEquals(1, r.exitCode());
        assertEquals("ternary4j: " + data + ": output would overwrite the input file " + data + "\n", r.err());
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(data));
    }

    @Test
    void quantizeRefusesAnHtmlOverItsModelBeforeWritingTheOutput() throws IOException {
        Path model = Files.copy(TaskCommandsTest.LENET, dir.resolve("m.onnx")), out = dir.resolve("o.onnx");
        byte[] before = Files.readAllBytes(model);
        CliRun r = CliRun.of("quantize", model.toString(), "-o", out.toString(), "--method", "tnt", "--grouping", "row", "--html", model.toString());
        assertTrue(r.exitCode() != 0 && r.err().contains("output would overwrite the input file"), r.err());
        assertFalse(Files.exists(out), "nothing is written when any output is refused");
        assertArrayEquals(before, Files.readAllBytes(model));
    }
}

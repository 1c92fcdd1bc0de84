package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** All outputs or none, extra files travel with their output, and messages name what the user asked for. */
class StagedOutputsTest {
    @TempDir
    Path dir;

    private List<String> names(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void everyOutputAppearsOnlyAtTheCommit() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("sub"));
        Path a = dir.resolve("a.onnx"), b = sub.resolve("b.json");
        Files.writeString(b, "old");
        try (StagedOutputs s = StagedOutputs.of(a, null, b)) {
            String got = s.commitAfter(() -> {
                Files.writeString(s.path(a), "model");
                Files.writeString(s.path(a).resolveSibling("a.onnx.data"), "weights");   // written beside the output, as external data is
                Files.writeString(s.path(b), "report");
                assertFalse(Files.exists(a), "nothing is visible before the commit");
                assertEquals("old", Files.readString(b));
                return "done";
            });
            assertEquals("done", got);
        }
        assertEquals("model", Files.readString(a));
        assertEquals("weights", Files.readString(dir.resolve("a.onnx.data")));
        assertEquals("report", Files.readString(b));
        assertEquals(List.of("a.onnx", "a.onnx.data", "sub"), names(dir), "no staging folder is left");
        assertEquals(List.of("b.json"), names(sub));
    }

    @Test
    void aFailureLeavesEveryTargetAsItWasAndNamesTheTarget() throws IOException {
        Path a = dir.resolve("a.onnx"), b = dir.resolve("b.json");
        Files.writeString(b, "old");
        IOException e = assertThrows(IOException.class, () -> {
            try (StagedOutputs s = StagedOutputs.of(a, b)) {
                s.commitAfter(() -> {
                    Files.writeString(s.path(a), "model");
                    throw new IOException(s.path(b) + ": No space left on device");
                });
            }
        });
        assertEquals(b + ": No space left on device", e.getMessage());
        assertEquals(List.of("b.json"), names(dir));
        assertEquals("old", Files.readString(b));
    }

    @Test
    void anOutputNotWrittenFailsTheCommit() throws IOException {
        Path a = dir.resolve("a.onnx"), b = dir.resolve("b.json");
        IOException e = assertThrows(IOException.class, () -> {
            try (StagedOutputs s = StagedOutputs.of(a, b)) {
                s.commitAfter(() -> Files.writeString(s.path(a), "model"));
            }
        });
        assertEquals("b.json: output was not written", e.getMessage());
        assertEquals(List.of(), names(dir));
    }

    @Test
    void aKilledRunsStagingFolderIsRemovedByTheNextOneInThatFolder() throws IOException {
        Path dead = Files.createDirectory(dir.resolve(".t4j-staging.123"));
        Files.writeString(dead.resolve(".lock"), "");
        Files.writeString(dead.resolve("a.onnx"), "half");
        Path a = dir.resolve("a.onnx");
        try (StagedOutputs living = StagedOutputs.of(dir.resolve("x.onnx"))) {
            try (StagedOutputs s = StagedOutputs.of(a)) {
                assertFalse(Files.exists(dead), "an unlocked staging folder is a dead run's");
                assertTrue(Files.isDirectory(living.path(dir.resolve("x.onnx")).getParent()), "a living run's folder stays");
                s.commitAfter(() -> Files.writeString(s.path(a), "whole"));
            }
        }
        assertEquals(List.of("a.onnx"), names(dir));
    }
}

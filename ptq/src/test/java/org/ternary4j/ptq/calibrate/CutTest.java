package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.onnx.ElementType;
import org.ternary4j.formats.onnx.OnnxModel;

/** A cut's values go to temporary files part by part and come back exactly as written. */
class CutTest {
    @TempDir
    Path dir;

    /** Two values of 130 examples: a [130, 3] and b [130, 2, 2], each element a distinct number. */
    private static Map<String, IntermediateRunner.Tensor> batch() {
        Map<String, IntermediateRunner.Tensor> out = new LinkedHashMap<>();
        out.put("a", new IntermediateRunner.Tensor(new long[] {130, 3}, numbers(130 * 3, 0.5f)));
        out.put("b", new IntermediateRunner.Tensor(new long[] {130, 2, 2}, numbers(130 * 4, -7f)));
        return out;
    }

    private static float[] numbers(int n, float from) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = from + i * 0.25f;
        return v;
    }

    private static Cut written(Map<String, IntermediateRunner.Tensor> batch) throws IOException {
        Cut cut = new Cut("test");
        List<StretchRun.Values> parts = StretchRun.Values.of(10, batch, "test");
        try {
            for (StretchRun.Values p : parts) cut.append(p);
        } finally {
            parts.forEach(StretchRun.Values::close);
        }
        return cut;
    }

    @Test
    void partsReadBackAsWritten() throws IOException {
        Map<String, IntermediateRunner.Tensor> batch = batch();
        try (Cut cut = written(batch)) {
            assertEquals(List.of(Examples.range(10, 64), Examples.range(74, 64), Examples.range(138, 2)),
                    List.of(cut.part(0), cut.part(1), cut.part(2)));
            assertEquals(Map.of("a", ElementType.FLOAT, "b", ElementType.FLOAT), cut.types());
            assertArrayEquals(batch.get("a").values(), AllValues.of(cut, "a"));
            assertArrayEquals(batch.get("b").values(), AllValues.of(cut, "b"));
            assertEquals(64 * (3 + 4) * Float.BYTES, cut.largestPart()); // a full part of both values
            try (StretchRun.Values last = cut.load(2, Set.of("b"))) {
                assertEquals(Set.of("b"), last.names());
                assertArrayEquals(new long[] {2, 2, 2}, last.shape("b"));
                assertEquals(Examples.range(138, 2), last.examples());
            }
        }
    }

    @Test
    void passedThroughValuesOutliveTheCutTheyCameFrom() throws IOException {
        Path file = CalibratedTernarizerTest.network(dir.resolve("net.onnx"));
        CalibrationInputs data = CalibrationInputs.load(CalibratedTernarizerTest.calibrationFile(dir.resolve("c.npy"), 100).toString());
        try (OnnxModel m = OnnxModel.read(file)) {
            Cut next;
            float[] x;
            try (Cut first = Cut.first(m, Set.of("x"), data.inputs(), "net");
                 StretchRun run = StretchRun.open(m, first.types(), List.of("f1"), Map.of(), "net")) {
                x = AllValues.of(first, "x");
                next = first.step(run, Set.of("x", "f1"), null);
            }
            try (Cut c = next) {
                assertArrayEquals(data.inputs().inputs().get(0).array().data(), x);
                assertArrayEquals(x, AllValues.of(c, "x"));
                assertEquals(100 * 48, AllValues.of(c, "f1").length);
            }
        }
    }

    @Test
    void temporaryFilesAreGoneOnceClosed() throws IOException {
        long before = openCutFiles();
        Cut cut = written(batch());
        Cut kept;
        try {
            assertEquals(before + 2, openCutFiles());
            kept = cut.step(null, Set.of("b"), null);
        } finally {
            cut.close();
        }
        assertEquals(before + 1, openCutFiles()); // b lives on in the next cut
        kept.close();
        assertEquals(before, openCutFiles());
    }

    /** This process's open descriptors of the cut's temporary files (Linux). */
    private static long openCutFiles() throws IOException {
        Path fds = Path.of("/proc/self/fd");
        assertTrue(Files.isDirectory(fds), "needs /proc/self/fd");
        long n = 0;
        try (Stream<Path> s = Files.list(fds)) {
            for (Path p : s.toList()) {
                try {
                    if (Files.readSymbolicLink(p).toString().contains("t4j-cut-")) n++;
                } catch (IOException gone) {
                    // the descriptor Files.list itself used, closed by now
                }
            }
        }
        return n;
    }
}

package org.ternary4j.ptq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.core.projection.Projections;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.SafetensorsWriter;
import org.ternary4j.formats.safetensors.TensorSpec;

/**
 * The streamed path (runs of groups, several per tensor, worker threads) must write exactly the
 * bytes, packed codes and report of the whole-tensor path, which a monitor that wants whole
 * tensors selects.
 */
class RunPipelineTest {

    private static final SafetensorsQuantization.Monitor WHOLE = new SafetensorsQuantization.Monitor() {
        @Override
        public boolean wantsWholeTensors() {
            return true;
        }
    };

    /** Tensors of more than one run (over 2^20 weights), rows that are no multiple of 4 or 5, every float dtype, a bias between. */
    private static Path checkpoint(Path dir, DType dtype, long[] shape) throws IOException {
        Path file = dir.resolve("in-" + dtype + ".safetensors");
        long n = 1;
        for (long d : shape) n *= d;
        long[] small = shape.clone();
        small[0] = 7; // one run, fewer groups than a run holds
        List<TensorSpec> specs = List.of(new TensorSpec("a.weight", dtype, shape), new TensorSpec("a.bias", dtype, new long[] {shape[0]}),
                new TensorSpec("b.weight", dtype, small));
        SplittableRandom r = new SplittableRandom(5);
        try (SafetensorsWriter w = SafetensorsWriter.open(file, specs, Map.of())) {
            w.writeFloats("a.weight", gaussian(r, (int) n));
            w.writeFloats("a.bias", gaussian(r, (int) shape[0]));
            w.writeFloats("b.weight", gaussian(r, (int) (n / shape[0] * 7)));
            w.commit();
        }
        return file;
    }

    private static float[] gaussian(SplittableRandom r, int n) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) (0.02 * Math.sqrt(-2 * Math.log1p(-r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble()));
        return w;
    }

    private record Case(DType dtype, long[] shape, String method, String grouping, Packing packing) {}

    @Test
    void streamedOutputsEqualTheWholeTensorPath(@TempDir Path dir) throws IOException {
        List<Case> cases = List.of(
                new Case(DType.F32, new long[] {1100, 999}, "tnt", "row", Packing.BASE3),
                new Case(DType.BF16, new long[] {2100, 1000}, "two-scale", "row", Packing.TWO_BIT),
                new Case(DType.BF16, new long[] {1100, 999}, "tnt", "row", Packing.BASE3),
                new Case(DType.F16, new long[] {1100, 999}, "twn", "row", Packing.TWO_BIT),
                new Case(DType.F32, new long[] {3000, 40, 3, 3}, "tnt", "kernel", Packing.BASE3));
        for (Case c : cases) {
            Path in = checkpoint(dir, c.dtype(), c.shape());
            Path[] streamed = run(in, dir.resolve("s"), c, SafetensorsQuantization.Monitor.NONE);
            Path[] whole = run(in, dir.resolve("w"), c, WHOLE);
            for (int i = 0; i < streamed.length; i++) {
                assertArrayEquals(Files.readAllBytes(whole[i]), Files.readAllBytes(streamed[i]), c + ": " + whole[i].getFileName());
            }
        }
    }

    private static Path[] run(Path in, Path prefix, Case c, SafetensorsQuantization.Monitor monitor) throws IOException {
        Path out = Path.of(prefix + "-out.safetensors"), packed = Path.of(prefix + "-packed.safetensors"), json = Path.of(prefix + ".json");
        for (Path p : new Path[] {out, packed, json}) Files.deleteIfExists(p);
        SafetensorsQuantization.quantize(SafetensorsQuantization.Request.of(in, out, Projections.parse(c.method()), Grouping.parse(c.grouping()))
                .withPacking(c.packing()).withPacked(packed).withReport(json).withThreads(2), monitor);
        return new Path[] {out, packed, json};
    }

    /** A non-finite weight in a later run fails the whole file, naming the tensor and the element, and leaves nothing behind. */
    @Test
    void aNonFiniteWeightInALaterRunFailsCleanly(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("nan.safetensors");
        int rows = 1500, cols = 1000;
        float[] w = gaussian(new SplittableRandom(3), rows * cols);
        w[1_400_123] = Float.NaN;
        try (SafetensorsWriter out = SafetensorsWriter.open(in, List.of(TensorSpec.of("w", DType.F32, rows, cols)), Map.of())) {
            out.writeFloats("w", w);
            out.commit();
        }
        Path out = dir.resolve("out.safetensors");
        IOException e = assertThrows(IOException.class, () -> SafetensorsQuantization.run(SafetensorsQuantization.Request
                .of(in, out, Projections.parse("tnt"), Grouping.parse("row")).withThreads(2)));
        assertEquals(in + ": tensor 'w': NaN weight at element 1400123", e.getMessage());
        assertFalse(Files.exists(out));
        assertTrue(Files.list(dir).allMatch(p -> p.equals(in)), "no temporary file left");
    }
}

package org.ternary4j.formats.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Random files: valid ones round trip, corrupted ones fail with an IOException line and nothing else. */
class SafetensorsFuzzTest {
    @TempDir Path dir;

    private static final String ALPHABET = "abcXYZ09._-/ \"\\é漢🙂";

    private static String name(SplittableRandom rnd) {
        StringBuilder b = new StringBuilder();
        int len = rnd.nextInt(0, 8);
        for (int i = 0; i < len; i++) b.appendCodePoint(ALPHABET.codePointAt(ALPHABET.offsetByCodePoints(0, rnd.nextInt(ALPHABET.codePointCount(0, ALPHABET.length())))));
        return b.toString();
    }

    @Test
    void randomValidFilesRoundTrip() throws IOException {
        SplittableRandom rnd = new SplittableRandom(5);
        DType[] types = DType.values();
        for (int round = 0; round < 100; round++) {
            List<TensorSpec> specs = new ArrayList<>();
            Map<String, byte[]> data = new LinkedHashMap<>();
            int count = rnd.nextInt(0, 6);
            for (int k = 0; k < count; k++) {
                String n = name(rnd) + "#" + k; // unique
                DType d = types[rnd.nextInt(types.length)];
                int[] shape = new int[rnd.nextInt(0, 4)];
                for (int j = 0; j < shape.length; j++) shape[j] = rnd.nextInt(0, 5) * 2; // even: sub-byte dtypes fill bytes
                TensorSpec s = TensorSpec.of(n, d, shape);
                if (s.byteSize() < 0) continue; // a sub-byte dtype whose count does not fill whole bytes
                byte[] b = new byte[(int) s.byteSize()];
                rnd.nextBytes(b);
                specs.add(s);
                data.put(n, b);
            }
            Map<String, String> meta = rnd.nextBoolean() ? Map.of() : Map.of(name(rnd), name(rnd));
            Path file = dir.resolve("r.safetensors");
            try (SafetensorsWriter w = SafetensorsWriter.open(file, specs, meta)) {
                for (TensorSpec s : specs) w.writeBytes(s.name(), data.get(s.name()));
                w.commit();
            }
            try (SafetensorsReader r = SafetensorsReader.open(file)) {
                assertEquals(meta, r.metadata());
                assertEquals(specs.size(), r.tensors().size());
                for (TensorSpec s : specs) {
                    TensorInfo t = r.tensor(s.name());
                    assertArrayEquals(s.shape(), t.spec().shape());
                    assertEquals(s.dtype(), t.dtype());
                    assertArrayEquals(data.get(s.name()), r.readBytes(t));
                }
            }
        }
    }

    @Test
    void corruptedFilesFailWithOneLineNamingTheFile() throws IOException {
        Path good = dir.resolve("good.safetensors");
        List<TensorSpec> specs = List.of(TensorSpec.of("a", DType.F32, 3, 2), TensorSpec.of("b", DType.BF16, 5), TensorSpec.of("c", DType.I64, 1));
        try (SafetensorsWriter w = SafetensorsWriter.open(good, specs, Map.of("format", "pt"))) {
            w.writeFloats("a", new float[] {1, 2, 3, 4, 5, 6});
            w.writeFloats("b", new float[] {1, 2, 3, 4, 5});
            w.writeBytes("c", new byte[8]);
            w.commit();
        }
        byte[] original = Files.readAllBytes(good);
        SplittableRandom rnd = new SplittableRandom(6);
        Path bad = dir.resolve("bad.safetensors");
        int opened = 0, refused = 0;
        for (int round = 0; round < 600; round++) {
            byte[] b = original.clone();
            switch (round % 3) {
                case 0 -> b = Arrays.copyOf(b, rnd.nextInt(b.length)); // truncation
                case 1 -> b[rnd.nextInt(Math.min(b.length, 8 + 120))] = (byte) rnd.nextInt(256); // header byte
                default -> { // digit change: offsets and shapes that disagree
                    int i = 8 + rnd.nextInt(b.length - 8 - 48);
                    if (b[i] >= '0' && b[i] <= '9') b[i] = (byte) ('0' + rnd.nextInt(10));
                }
            }
            Files.write(bad, b);
            try (SafetensorsReader r = SafetensorsReader.open(bad)) {
                for (TensorInfo t : r.tensors()) {
                    if (t.dtype().isFloat()) r.readFloats(t);
                    else r.readBytes(t);
                }
                opened++;
            } catch (NoSuchFileException e) {
                throw e;
            } catch (IOException e) {
                assertTrue(e.getMessage().startsWith(bad + ": "), e.getMessage());
                assertFalse(e.getMessage().contains("\n"), e.getMessage());
                refused++;
            }
        }
        assertTrue(refused > 200, "refused " + refused);
        assertTrue(opened > 20, "opened " + opened); // harmless edits (a name's letter, a value digit) still read
    }
}

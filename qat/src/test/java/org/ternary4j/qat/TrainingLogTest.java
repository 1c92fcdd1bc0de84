package org.ternary4j.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingLogTest {
    @TempDir
    Path dir;

    @Test
    void csvAndJsonHoldOneRowPerEpoch() throws Exception {
        List<EpochStats> e = List.of(new EpochStats(1, 0.5, 0.8, 0.85, 12.5, 10.25), new EpochStats(2, 0.25, 0.9, 0.875, 11, 9));
        Path csv = dir.resolve("log.csv");
        TrainingLog.write(csv, e);
        List<String> lines = Files.readAllLines(csv);
        assertEquals(TrainingLog.CSV_HEADER, lines.get(0));
        assertEquals("2,0.250000,0.900000,0.875000,11.000,9.000", lines.get(2));
        Path json = dir.resolve("log.json");
        TrainingLog.write(json, e);
        JsonNode n = new ObjectMapper().readTree(json.toFile());
        assertEquals(2, n.size());
        assertEquals(0.85, n.get(0).get("testAccuracy").asDouble());
        try (var files = Files.list(dir)) {
            assertTrue(files.allMatch(p -> !p.getFileName().toString().endsWith(".part")), "no temporary file left");
        }
    }

    @Test
    void shuffleIsAPermutationFixedBySeed() {
        int[] a = Training.permutation(1000, new java.util.Random(4));
        int[] b = Training.permutation(1000, new java.util.Random(4));
        assertEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b));
        boolean[] seen = new boolean[1000];
        for (int i : a) seen[i] = true;
        for (boolean s : seen) assertTrue(s);
    }
}

package org.ternary4j.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
        assertEquals(List.of("epoch,loss,train_accuracy,test_accuracy,wall_seconds,cpu_seconds",
                "1,0.500000,0.800000,0.850000,12.500,10.250", "2,0.250000,0.900000,0.875000,11.000,9.000"), lines);
        Path json = dir.resolve("log.json");
        TrainingLog.write(json, e);
        JsonNode n = new ObjectMapper().readTree(json.toFile());
        assertEquals(2, n.size());
        assertEquals(2, n.get(1).get("epoch").asInt());
        assertEquals(0.85, n.get(0).get("test_accuracy").asDouble());
        assertEquals(9.0, n.get(1).get("cpu_seconds").asDouble());
        try (var files = Files.list(dir)) {
            assertTrue(files.allMatch(p -> !p.getFileName().toString().endsWith(".part")), "no temporary file left");
        }
    }

    @Test
    void anyColumnsAndAValueThatIsNotANumber() throws Exception {
        List<TrainingLog.Column> columns = List.of(TrainingLog.EPOCH, TrainingLog.LOSS, TrainingLog.CPU_SECONDS);
        List<double[]> rows = List.of(new double[] {1, 0.125, Double.NaN});
        Path csv = dir.resolve("q.csv"), json = dir.resolve("q.json");
        TrainingLog.write(csv, columns, rows);
        assertEquals(List.of("epoch,loss,cpu_seconds", "1,0.125000,"), Files.readAllLines(csv));
        TrainingLog.write(json, columns, rows);
        JsonNode n = new ObjectMapper().readTree(json.toFile());
        assertEquals(0.125, n.get(0).get("loss").asDouble());
        assertTrue(n.get(0).get("cpu_seconds").isNull());
        TrainingLog.write(json, columns, List.of());
        assertEquals(0, new ObjectMapper().readTree(json.toFile()).size());
        assertThrows(IllegalArgumentException.class, () -> TrainingLog.write(csv, columns, List.of(new double[] {1, 2})));
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

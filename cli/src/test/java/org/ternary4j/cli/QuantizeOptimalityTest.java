package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.SafetensorsReader;
import org.ternary4j.formats.safetensors.TensorSpec;

/**
 * The "must show": quantize with row grouping reaches, on every row, the least-squares
 * optimal error that an independent brute-force implementation (full sort in double, every
 * support size) computes, for TNT (one scale) and the joint two-scale optimum.
 */
class QuantizeOptimalityTest {
    @TempDir Path dir;

    @Test
    void everyRowReachesTheOptimalLeastSquaresError() throws IOException {
        List<TensorSpec> specs = List.of(TensorSpec.of("a", DType.F32, 40, 64), TensorSpec.of("b", DType.F32, 17, 3, 5),
                TensorSpec.of("c", DType.F32, 9, 301), TensorSpec.of("d", DType.F32, 5, 1));
        Map<String, float[]> w = new LinkedHashMap<>();
        long seed = 100;
        for (TensorSpec s : specs) w.put(s.name(), TestModels.gaussian((int) s.elements(), DType.F32, seed++));
        w.get("c")[0] = 10f; // the non-unimodal case of the spec: one big weight among many small ones
        for (int i = 1; i < 301; i++) w.get("c")[i] = 1f;
        Path in = TestModels.write(dir.resolve("in.safetensors"), specs, w, Map.of(), Map.of());

        for (String method : List.of("tnt", "two-scale")) {
            Path out = dir.resolve(method + ".safetensors");
            CliRun run = CliRun.of("quantize", in.toString(), "-o", out.toString(), "--method", method, "--grouping", "row", "--threads", "2");
            assertEquals(0, run.exitCode(), run.err());
            try (SafetensorsReader r = SafetensorsReader.open(out)) {
                for (TensorSpec s : specs) {
                    float[] q = r.readFloats(r.tensor(s.name()));
                    float[] orig = w.get(s.name());
                    int rows = (int) s.shape()[0], len = orig.length / rows;
                    for (int row = 0; row < rows; row++) {
                        double[] wr = new double[len], qr = new double[len];
                        for (int j = 0; j < len; j++) {
                            wr[j] = orig[row * len + j];
                            qr[j] = q[row * len + j];
                        }
                        double got = squaredError(wr, qr);
                        double best = method.equals("tnt") ? optimalOneScale(wr) : optimalTwoScale(wr);
                        double norm = dot(wr, wr);
                        assertEquals(best, got, 1e-6 * norm + 1e-12, () -> method + " " + s.name() + " row " + Arrays.toString(wr).substring(0, 40));
                    }
                }
            }
        }
        // The oracle can tell a worse method apart: TWN's heuristic threshold is strictly worse on some row.
        Path twn = dir.resolve("twn.safetensors");
        assertEquals(0, CliRun.of("quantize", in.toString(), "-o", twn.toString(), "--method", "twn", "--grouping", "row").exitCode());
        try (SafetensorsReader r = SafetensorsReader.open(twn)) {
            float[] q = r.readFloats(r.tensor("a"));
            boolean worse = false;
            for (int row = 0; row < 40; row++) {
                double[] wr = new double[64], qr = new double[64];
                for (int j = 0; j < 64; j++) {
                    wr[j] = w.get("a")[row * 64 + j];
                    qr[j] = q[row * 64 + j];
                }
                worse |= squaredError(wr, qr) > optimalOneScale(wr) + 1e-6 * dot(wr, wr);
            }
            assertTrue(worse);
        }
    }

    /** ‖w‖² − max over M ≥ 1 of S_M²/M, S_M the sum of the M largest |w| (spec §1.1). */
    static double optimalOneScale(double[] w) {
        double[] mags = Arrays.stream(w).map(Math::abs).sorted().toArray();
        return dot(w, w) - bestGain(mags);
    }

    /** ‖w‖² − gain of the positive side − gain of the negative side, each its own scan (spec §1.2). */
    static double optimalTwoScale(double[] w) {
        double[] pos = Arrays.stream(w).filter(v -> v > 0).sorted().toArray();
        double[] neg = Arrays.stream(w).filter(v -> v < 0).map(v -> -v).sorted().toArray();
        return dot(w, w) - bestGain(pos) - bestGain(neg);
    }

    /** max over k ≥ 1 of (sum of the k largest)²/k, for magnitudes sorted ascending; 0 when empty. */
    private static double bestGain(double[] ascending) {
        double best = 0, sum = 0;
        for (int k = 1; k <= ascending.length; k++) {
            sum += ascending[ascending.length - k];
            best = Math.max(best, sum * sum / k);
        }
        return best;
    }

    private static double squaredError(double[] w, double[] q) {
        double e = 0;
        for (int i = 0; i < w.length; i++) e += (w[i] - q[i]) * (w[i] - q[i]);
        return e;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}

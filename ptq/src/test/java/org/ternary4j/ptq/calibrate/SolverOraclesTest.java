package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.TwoScale;

/** The per-layer math against independent oracles: brute force, a naive convolution, exact identities. */
class SolverOraclesTest {

    /** H = XᵀX of n random inputs of size k (some always zero, as after ReLU or padding). */
    static double[] gram(Random rnd, int n, int k, InputStats stats) {
        float[] x = new float[k];
        for (int s = 0; s < n; s++) {
            for (int j = 0; j < k; j++) x[j] = j == k - 1 ? 0f : (float) Math.max(0, rnd.nextGaussian() + 0.3 * j);
            stats.add(x, 0);
        }
        return stats.gram();
    }

    static float[] randomWeights(Random rnd, int n) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) rnd.nextGaussian();
        return w;
    }

    /** A rows × k layer of Gaussian weights over the gram of 5k random inputs. */
    static LayerProblem randomLayer(Random rnd, int rows, int k, Grouping grouping, boolean twoScales) {
        double[] h = gram(rnd, 5 * k, k, new InputStats(k));
        return new LayerProblem(randomWeights(rnd, rows * k), rows, k, h, grouping.layout(new int[] {rows, k}), twoScales);
    }

    @Test
    void scaleRefitMatchesGridSearchOnTwoScales() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 5; trial++) {
            int k = 6;
            double[] h = gram(rnd, 40, k, new InputStats(k));
            float[] w = randomWeights(rnd, k);
            LayerProblem p = new LayerProblem(w, 1, k, h, new Grouping.Row().layout(new int[] {1, k}), true);
            byte[] codes = {1, -1, 1, 0, -1, 1};
            float[] pos = {0.1f}, neg = {0.1f};
            ScaleRefit.refit(p, codes, pos, neg);
            // Brute force: the error on a fine grid of (α₊, α₋) ≥ 0 never beats the closed form.
            double best = Double.MAX_VALUE;
            for (double a = 0; a <= 3; a += 0.005) {
                for (double b = 0; b <= 3; b += 0.005) {
                    best = Math.min(best, p.outputError(new byte[] {1, -1, 1, 0, -1, 1}, new float[] {(float) a}, new float[] {(float) b}));
                }
            }
            double closed = p.outputError(codes, pos, neg);
            assertTrue(closed <= best + 1e-9 * Math.max(1, best), "closed form " + closed + " vs grid " + best);
            assertTrue(best - closed < 1e-3 * Math.max(1, best), "grid should come close: " + best + " vs " + closed);
        }
    }

    @Test
    void scaleRefitAcrossRowsMatchesOneDimensionalSearch() {
        LayerProblem p = randomLayer(new Random(11), 3, 5, new Grouping.WholeTensor(), false);
        byte[] codes = new byte[p.w().length];
        for (int i = 0; i < codes.length; i++) codes[i] = (byte) Math.signum(p.w()[i]);
        float[] pos = {1f};
        ScaleRefit.refit(p, codes, pos, null);
        double best = Double.MAX_VALUE;
        for (double a = 0; a <= 4; a += 0.0005) best = Math.min(best, p.outputError(codes, new float[] {(float) a}, null));
        assertEquals(best, p.outputError(codes, pos, null), 1e-6 * Math.max(1, best));
    }

    @Test
    void negativeLeastSquaresScaleIsPinnedToZero() {
        // One input; the +1 code sits on a negative weight, so its best scale would be negative.
        int k = 2;
        double[] h = {1, 0, 0, 1};
        LayerProblem p = new LayerProblem(new float[] {-1f, 2f}, 1, k, h, new Grouping.Row().layout(new int[] {1, k}), true);
        byte[] codes = {1, -1};
        float[] pos = {1f}, neg = {1f};
        ScaleRefit.refit(p, codes, pos, neg);
        assertEquals(0f, pos[0]);
        assertEquals(0f, neg[0]); // −1 code on +2: also pinned
        assertArrayEquals(new byte[] {0, 0}, codes);
    }

    @Test
    void codeDescentEndsInALocalMinimumAndNeverRaisesTheError() {
        LayerProblem p = randomLayer(new Random(3), 2, 5, new Grouping.Row(), true);
        LayerSolver.Solution start = LayerSolver.solve(p, new double[p.k()], new TwoScale(), Steps.NONE);
        byte[] codes = start.codes().clone();
        CodeDescent.improve(p, codes, start.pos(), start.neg(), 50);
        double after = p.outputError(codes, start.pos(), start.neg());
        assertTrue(after <= start.error() + 1e-12);
        for (int q = 0; q < codes.length; q++) { // brute force over every single-code change
            for (byte c = -1; c <= 1; c++) {
                byte[] other = codes.clone();
                other[q] = c;
                assertTrue(p.outputError(other, start.pos(), start.neg()) >= after - 1e-9 * Math.max(1, after), "move at " + q + " to " + c);
            }
        }
    }

    @Test
    void gptqWithUncorrelatedInputsIsNearestRounding() {
        // Diagonal H: no error can be pushed onto other columns, so every code is the nearest level.
        int k = 4;
        double[] h = new double[k * k];
        for (int j = 0; j < k; j++) h[j * k + j] = 1 + j;
        float[] w = {0.9f, -0.2f, 0.26f, -0.8f};
        LayerProblem p = new LayerProblem(w, 1, k, h, new Grouping.Row().layout(new int[] {1, k}), true);
        byte[] codes = TernaryGptq.codes(p, new float[] {0.5f}, new float[] {1.0f});
        assertArrayEquals(new byte[] {1, 0, 1, -1}, codes);
    }

    @Test
    void gptqActOrderIsNaturalOrderOnTheInputsSortedByDecreasingActivation() {
        // Act-order on (w, H) must give the codes natural order gives on the same problem with its
        // inputs permuted by decreasing H_jj, permuted back.
        Random rnd = new Random(13);
        int rows = 3, k = 7;
        LayerProblem p = randomLayer(rnd, rows, k, new Grouping.Row(), true);
        int[] order = TernaryGptq.decreasingDiagonal(p.h(), k);
        for (int a = 1; a < k; a++) assertTrue(p.h()[order[a - 1] * k + order[a - 1]] >= p.h()[order[a] * k + order[a]]);
        float[] w = new float[rows * k];
        double[] h = new double[k * k];
        for (int a = 0; a < k; a++) {
            for (int r = 0; r < rows; r++) w[r * k + a] = p.w()[r * k + order[a]];
            for (int b = 0; b < k; b++) h[a * k + b] = p.h()[order[a] * k + order[b]];
        }
        LayerProblem sorted = new LayerProblem(w, rows, k, h, p.layout(), true);
        float[] pos = {0.4f, 0.6f, 0.5f}, neg = {0.5f, 0.3f, 0.7f};
        byte[] natural = TernaryGptq.codes(sorted, pos, neg), act = TernaryGptq.codes(p, pos, neg, true);
        for (int r = 0; r < rows; r++) for (int a = 0; a < k; a++) assertEquals(natural[r * k + a], act[r * k + order[a]], "row " + r + " input " + order[a]);
        assertTrue(java.util.stream.IntStream.range(0, k).anyMatch(a -> order[a] != a), "the test permutes something");
    }

    @Test
    void scaleRefitOfSeveralGroupsPerRowIsAStationaryPoint() {
        // block:2 over 6 inputs: three groups (six scales) per row, solved jointly. No single scale
        // moved by ±0.1 % lowers the error, and a scale pinned to 0 cannot move below it.
        Random rnd = new Random(17);
        LayerProblem p = randomLayer(rnd, 2, 6, Grouping.parse("block:2"), true);
        byte[] codes = new byte[p.w().length];
        for (int i = 0; i < codes.length; i++) codes[i] = (byte) (i % 5 == 0 ? 0 : Math.signum(p.w()[i]));
        float[] pos = new float[6], neg = new float[6];
        java.util.Arrays.fill(pos, 0.3f);
        java.util.Arrays.fill(neg, 0.3f);
        ScaleRefit.refit(p, codes, pos, neg);
        double e = p.outputError(codes, pos, neg);
        for (int g = 0; g < 6; g++) {
            for (float[] scales : new float[][] {pos, neg}) {
                float keep = scales[g];
                for (double f : new double[] {0.999, 1.001}) {
                    scales[g] = (float) (keep * f + (keep == 0 ? 1e-3 : 0));
                    assertTrue(p.outputError(codes, pos, neg) >= e - 1e-9 * e, "group " + g + " scale " + keep + " × " + f);
                }
                scales[g] = keep;
            }
        }
    }

    /** Row-local groupings: the layer's refit equals each row refit as a one-row layer of its own, bit for bit. */
    @Test
    void rowLocalRefitEqualsEachRowAlone() {
        Random rnd = new Random(23);
        int rows = 37, k = 24;
        for (boolean two : new boolean[] {false, true}) {
            LayerProblem p = randomLayer(rnd, rows, k, Grouping.parse("block:4"), two);
            int groups = p.layout().groupCount(), perRow = groups / rows;
            byte[] codes = new byte[p.w().length];
            for (int i = 0; i < codes.length; i++) codes[i] = (byte) (i % 7 == 0 ? 0 : Math.signum(p.w()[i]));
            float[] pos = new float[groups], neg = two ? new float[groups] : null;
            java.util.Arrays.fill(pos, 0.4f);
            if (two) java.util.Arrays.fill(neg, 0.4f);
            byte[] wholeCodes = codes.clone();
            float[] wholePos = pos.clone(), wholeNeg = two ? neg.clone() : null;
            ScaleRefit.refit(p, wholeCodes, wholePos, wholeNeg);
            for (int r = 0; r < rows; r++) {
                LayerProblem one = new LayerProblem(java.util.Arrays.copyOfRange(p.w(), r * k, (r + 1) * k), 1, k, p.h(),
                        Grouping.parse("block:4").layout(new int[] {1, k}), two);
                byte[] c = java.util.Arrays.copyOfRange(codes, r * k, (r + 1) * k);
                float[] ps = java.util.Arrays.copyOfRange(pos, r * perRow, (r + 1) * perRow), ns = two ? java.util.Arrays.copyOfRange(neg, r * perRow, (r + 1) * perRow) : null;
                ScaleRefit.refit(one, c, ps, ns);
                assertArrayEquals(c, java.util.Arrays.copyOfRange(wholeCodes, r * k, (r + 1) * k), "row " + r);
                assertArrayEquals(ps, java.util.Arrays.copyOfRange(wholePos, r * perRow, (r + 1) * perRow), 0f, "row " + r);
                if (two) assertArrayEquals(ns, java.util.Arrays.copyOfRange(wholeNeg, r * perRow, (r + 1) * perRow), 0f, "row " + r);
            }
        }
    }

    @Test
    void solverNeverEndsWorseThanThePlainProjection() {
        Random rnd = new Random(5);
        int rows = 4, k = 12;
        InputStats s = new InputStats(k);
        double[] h = gram(rnd, 60, k, s);
        float[] w = randomWeights(rnd, rows * k);
        LayerProblem p = new LayerProblem(w, rows, k, h, new Grouping.Row().layout(new int[] {rows, k}), true);
        double plain = LayerSolver.solve(p, s.meanSquare(), new TwoScale(), Steps.NONE).error();
        double full = LayerSolver.solve(p, s.meanSquare(), new TwoScale(), Steps.ALL).error();
        assertTrue(full <= plain, full + " > " + plain);
        assertTrue(full < 0.8 * plain, "calibration should cut the output error clearly: " + full + " vs " + plain);
    }

    @Test
    void convPatchGramGivesTheOutputErrorOfANaiveConvolution() {
        // Second implementation: convolve a weight difference δ directly over padded, strided inputs;
        // Σ over outputs of (δ * x)² must equal δᵀ H δ with H from the patches.
        Random rnd = new Random(9);
        int n = 2, cin = 2, h = 5, w = 6, kh = 3, kw = 2;
        ConvGeometry geo = new ConvGeometry(cin, kh, kw, 2, 1, 1, 0, 1, 1, 1, 2);
        float[] x = randomWeights(rnd, n * cin * h * w);
        InputStats stats = new InputStats(geo.patchSize());
        geo.patches(x, n, h, w, stats);
        double[] delta = new double[geo.patchSize()];
        for (int i = 0; i < delta.length; i++) delta[i] = rnd.nextGaussian();
        double naive = 0;
        int count = 0;
        for (int e = 0; e < n; e++) {
            for (int oy = 0; oy < geo.outH(h); oy++) {
                for (int ox = 0; ox < geo.outW(w); ox++) {
                    double y = 0;
                    for (int c = 0; c < cin; c++) {
                        for (int ky = 0; ky < kh; ky++) {
                            for (int kx = 0; kx < kw; kx++) {
                                int iy = oy * 2 - 1 + ky, ix = ox + kx * 2;
                                if (iy >= 0 && iy < h && ix >= 0 && ix < w) y += delta[(c * kh + ky) * kw + kx] * x[((e * cin + c) * h + iy) * w + ix];
                            }
                        }
                    }
                    naive += y * y;
                    count++;
                }
            }
        }
        assertEquals(count, stats.count());
        assertEquals(naive, Linalg.quadratic(stats.gram(), delta, delta, delta.length), 1e-9 * naive);
    }

    @Test
    void fpTargetIsTheWeightItselfWithoutEarlierError() {
        Random rnd = new Random(1);
        int k = 6, rows = 3;
        InputStats s = new InputStats(k, true);
        float[] x = new float[k];
        for (int i = 0; i < 50; i++) {
            for (int j = 0; j < k; j++) x[j] = (float) rnd.nextGaussian();
            s.add(x, 0, x, 0);
        }
        float[] w = randomWeights(rnd, rows * k);
        assertArrayEquals(w, FpTarget.weights(w, rows, k, s.gram(), s.cross()), 1e-6f);
    }
}

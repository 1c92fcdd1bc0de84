package org.ternary4j.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.Ternarizer;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Gaussian;
import org.ternary4j.core.projection.Projections;

/**
 * Each method's backward, read from autograd, against the spec's rules derived by hand or by
 * finite differences of an independent double-precision forward. The loss is L = Σ c_i·W_eff,i
 * with fixed c, so ∂L/∂W_eff = c and every rule can be written out.
 */
class GradientRulesTest {
    private static NDManager manager;

    @BeforeAll
    static void engine() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    /** Runs L = Σ c·effective(w, params) backward; returns {wEff, ∂L/∂w, ∂L/∂p0, ∂L/∂p1, ...}. */
    private static float[][] backward(WeightQuantizer q, float[] w, Shape shape, float[] c, float[]... params) {
        try (NDManager m = manager.newSubManager()) {
            NDArray wa = m.create(w, shape);
            wa.setRequiresGradient(true);
            List<NDArray> ps = new java.util.ArrayList<>();
            for (float[] p : params) {
                NDArray pa = q instanceof TgaQuantizer ? m.create(p[0]) : m.create(p, ScaleShape.of(q.grouping(), shape, "test"));
                pa.setRequiresGradient(true);
                ps.add(pa);
            }
            float[][] out = new float[2 + params.length][];
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray eff = q.effective(wa, ps);
                gc.backward(eff.mul(m.create(c, shape)).sum());
                out[0] = eff.toFloatArray();
            }
            out[1] = wa.getGradient().toFloatArray();
            for (int i = 0; i < ps.size(); i++) out[2 + i] = ps.get(i).getGradient().toFloatArray();
            return out;
        }
    }

    @Test
    void ttqGradientsFollowTheSpecIncludingTheSignOfWn() {
        // max|w| = 0.9, Δ = 0.045: positive {0.9, 0.4}, negative {−0.5, −0.8}, zero {0.01, −0.02}.
        float[] w = {0.9f, -0.5f, 0.01f, -0.02f, 0.4f, -0.8f};
        float[] c = {1, 2, 3, 4, 5, 6};
        float wp = 0.7f, wn = 0.3f;
        float[][] r = backward(new TtqQuantizer(new Grouping.WholeTensor()), w, new Shape(2, 3), c, new float[] {wp}, new float[] {wn});
        assertArrayEquals(new float[] {wp, -wn, 0, 0, wp, -wn}, r[0], 0f);
        assertArrayEquals(new float[] {wp * 1, wn * 2, 3, 4, wp * 5, wn * 6}, r[1], 1e-6f);
        assertEquals(1 + 5, r[2][0], 1e-6, "∂L/∂W_p = Σ_pos g");
        assertEquals(-(2 + 6), r[3][0], 1e-6, "∂L/∂W_n = −Σ_neg g (the level is −W_n)");
        // Finite difference of the forward in W_n agrees in sign and size (L is linear in W_n).
        float[] plus = backward(new TtqQuantizer(new Grouping.WholeTensor()), w, new Shape(2, 3), c, new float[] {wp}, new float[] {wn + 0.01f})[0];
        double dL = 0;
        for (int i = 0; i < w.length; i++) dL += c[i] * (plus[i] - r[0][i]);
        assertEquals(r[3][0], dL / 0.01, 1e-3);
    }

    @Test
    void syqPixelScalesGetTheSumOfCodeTimesGradientOverTheirGroup() {
        // Conv weight [cout 2, cin 2, 2, 2]; one α per kernel pixel (4 scales).
        Random rnd = new Random(3);
        float[] w = new float[16];
        float[] c = new float[16];
        for (int i = 0; i < 16; i++) {
            w[i] = (float) rnd.nextGaussian();
            c[i] = (float) rnd.nextGaussian();
        }
        w[5] = 0.001f; // below η = 0.05·max|w|: a zero code
        float[] alpha = {0.5f, 0.7f, 1.1f, 0.9f};
        float[][] r = backward(new SyqQuantizer(new Grouping.SyqPixel()), w, new Shape(2, 2, 2, 2), c, alpha);
        float max = 0;
        for (float v : w) max = Math.max(max, Math.abs(v));
        double[] expectAlpha = new double[4];
        for (int i = 0; i < 16; i++) {
            int pixel = i % 4;
            int t = Math.abs(w[i]) >= 0.05f * max ? (int) Math.signum(w[i]) : 0;
            assertEquals(alpha[pixel] * t, r[0][i], 1e-6, "forward α_g·t at " + i);
            assertEquals(t != 0 ? alpha[pixel] * c[i] : c[i], r[1][i], 1e-5, "∂L/∂w at " + i);
            expectAlpha[pixel] += c[i] * t;
        }
        assertEquals(0, r[0][5], "the small weight is a zero code");
        for (int g = 0; g < 4; g++) assertEquals(expectAlpha[g], r[2][g], 1e-5, "∂L/∂α of pixel " + g);
    }

    @Test
    void syqRowGroupsAreKernelRows() {
        float[] w = {1, -2, 3, -4, 5, -6, 7, -8};
        float[] c = {1, 1, 1, 1, 1, 1, 1, 1};
        float[][] r = backward(new SyqQuantizer(new Grouping.SyqRow()), w, new Shape(2, 1, 2, 2), c, new float[] {1, 1});
        // Row 0 holds indices 0, 1, 4, 5; row 1 holds 2, 3, 6, 7.
        assertArrayEquals(new float[] {1 - 1 + 1 - 1, 1 - 1 + 1 - 1}, r[2], 1e-6f);
        float[][] r2 = backward(new SyqQuantizer(new Grouping.SyqRow()), w, new Shape(2, 1, 2, 2), new float[] {1, 0, 0, 0, 0, 0, 0, 0}, new float[] {1, 1});
        assertArrayEquals(new float[] {1, 0}, r2[2], 1e-6f);
    }

    @Test
    void tgaDeltaGradientIsInverseMillsSlopeTimesCodeSum() {
        Random rnd = new Random(11);
        int n = 300;
        float[] w = new float[n], c = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) (0.02 + 0.1 * rnd.nextGaussian());
            c[i] = (float) rnd.nextGaussian();
        }
        double mu = 0, var = 0;
        for (float v : w) mu += v;
        mu /= n;
        for (float v : w) var += (v - mu) * (v - mu);
        double sigma = Math.sqrt(var / n);
        float delta = (float) (0.4 * sigma);
        float[][] r = backward(new TgaQuantizer(), w, new Shape(n), c, new float[] {delta});
        double z = delta / sigma;
        double lam = Gaussian.inverseMills(z);
        // The hand rule ∂α/∂th = λ(λ − z) and a finite difference of α(th) = μ + σλ(th/σ).
        double h = 1e-6;
        double fd = (sigma * Gaussian.inverseMills((delta + h) / sigma) - sigma * Gaussian.inverseMills((delta - h) / sigma)) / (2 * h);
        assertEquals(lam * (lam - z), fd, 1e-6);
        double codeSum = 0;
        for (int i = 0; i < n; i++) {
            int t = w[i] > mu + delta ? 1 : w[i] < mu - delta ? -1 : 0;
            codeSum += c[i] * t;
            assertEquals(t * (mu + sigma * lam), r[0][i], 1e-5, "forward α·t at " + i);
        }
        assertEquals(codeSum * lam * (lam - z), r[2][0], 1e-3 * Math.max(1, Math.abs(codeSum)));
        // ∂L/∂w_j = c_j + (Σ c t)·∂α/∂w_j, ∂α/∂w_j by central differences of the double forward.
        for (int j : new int[] {0, 17, 123}) {
            double[] wd = new double[n];
            for (int i = 0; i < n; i++) wd[i] = w[i];
            double eps = 1e-5;
            wd[j] += eps;
            double up = alpha(wd, delta);
            wd[j] -= 2 * eps;
            double down = alpha(wd, delta);
            double expect = c[j] + codeSum * (up - down) / (2 * eps);
            assertEquals(expect, r[1][j], 2e-3 * Math.max(1, Math.abs(expect)), "∂L/∂w at " + j);
        }
    }

    private static double alpha(double[] w, double th) {
        double mu = 0, var = 0;
        for (double v : w) mu += v;
        mu /= w.length;
        for (double v : w) var += (v - mu) * (v - mu);
        double sigma = Math.sqrt(var / w.length);
        return mu + sigma * Gaussian.inverseMills(th / sigma);
    }

    @Test
    void tgaConstantWeightsGiveZeroWeightsAndIdentityGradient() {
        float[] w = {0.3f, 0.3f, 0.3f, 0.3f};
        float[] c = {1, 2, 3, 4};
        float[][] r = backward(new TgaQuantizer(), w, new Shape(4), c, new float[] {0.01f});
        assertArrayEquals(new float[4], r[0], 0f);
        assertArrayEquals(c, r[1], 0f);
    }

    @Test
    void projectionsUseCoreCodesWithAnIdentityStraightThroughGradient() {
        Random rnd = new Random(5);
        float[] w = new float[4 * 9];
        float[] c = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
            c[i] = (float) rnd.nextGaussian();
        }
        for (String method : new String[] {"twn", "tnt", "two-scale"}) {
            Grouping g = Grouping.parse("row");
            float[][] r = backward(new ProjectionQuantizer(Projections.parse(method), g), w, new Shape(4, 9), c);
            float[] expect = new Ternarizer(Projections.parse(method), g).apply(new int[] {4, 9}, w).dequantize();
            assertArrayEquals(expect, r[0], 0f, method + ": forward is exactly core's dequantized projection");
            assertArrayEquals(c, r[1], 0f, method + ": identity STE");
        }
    }

    @Test
    void phasedOptimizerStepsDeltaAloneWithAClampedGradientThenTheRest() {
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(1f)).build();
        PhasedOptimizer opt = new PhasedOptimizer(sgd, Set.of("delta"));
        try (NDManager m = manager.newSubManager()) {
            NDArray delta = m.create(new float[] {0.5f});
            NDArray weight = m.create(new float[] {0.5f});
            NDArray grad = m.create(new float[] {0.25f});
            opt.phase(PhasedOptimizer.Phase.ALTERNATING);
            opt.update("delta", delta, grad);
            opt.update("weight", weight, grad);
            assertEquals(0.5f - TgaQuantizer.DELTA_GRADIENT_CLAMP, delta.getFloat(), 1e-7f, "δ moves by the clamped gradient");
            assertEquals(0.5f, weight.getFloat(), "weights wait for their phase");
            opt.phase(PhasedOptimizer.Phase.OTHERS);
            opt.update("delta", delta, grad);
            opt.update("weight", weight, grad);
            assertEquals(0.5f - TgaQuantizer.DELTA_GRADIENT_CLAMP, delta.getFloat(), 1e-7f);
            assertEquals(0.25f, weight.getFloat(), 1e-7f);
        }
    }
}

package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A plain float matrix [rows, cols] with a Vector API FMA GEMV: the project's own FP32 baseline
 * for the ternary kernels. Four rows share each activation load; every row accumulates in the
 * same lane order whichever path computes it, so results do not depend on the thread count.
 */
public final class Fp32Matrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private final int rows;
    private final int cols;
    private final float[] w;

    public Fp32Matrix(int rows, int cols, float[] w) {
        if (w.length != (long) rows * cols) throw new IllegalArgumentException("matrix: " + w.length + " values for " + rows + " × " + cols);
        this.rows = rows;
        this.cols = cols;
        this.w = w;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public float get(int r, int c) {
        return w[r * cols + c];
    }

    public long residentBytes() {
        return (long) w.length * 4;
    }

    /** y[r] = Σ_c w[r, c]·x[c]. */
    public void gemv(float[] x, float[] y, Parallel par) {
        if (x.length < cols || y.length < rows) throw new IllegalArgumentException("gemv: x needs " + cols + " values and y " + rows);
        par.forRange(rows, 64, (from, to) -> {
            int r = from;
            for (; r + 4 <= to; r += 4) rows4(x, y, r);
            for (; r < to; r++) y[r] = row(x, 0, r);
        });
    }

    /** y[b, r] = Σ_c w[r, c]·x[b, c] for x [batch, cols]; each row's weights are loaded once per four vectors. */
    public void gemm(float[] x, int batch, float[] y, Parallel par) {
        if (x.length < (long) batch * cols || y.length < (long) batch * rows) throw new IllegalArgumentException("gemm: x needs " + batch + " × " + cols + " values and y " + batch + " × " + rows);
        par.forRange(rows, PANEL, (from, to) -> {
            for (int p0 = from; p0 < to; p0 += PANEL) {
                int p1 = Math.min(to, p0 + PANEL), b = 0;
                for (; b + 4 <= batch; b += 4) for (int r = p0; r < p1; r++) batch4(x, b, y, r);
                for (; b < batch; b++) for (int r = p0; r < p1; r++) y[b * rows + r] = row(x, b * cols, r);
            }
        });
    }

    /** Rows whose weights stay in L2 while four activation vectors are swept over them. */
    private static final int PANEL = 16;

    private void batch4(float[] x, int b, float[] y, int r) {
        int o = r * cols, x0 = b * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int c = 0, bound = F.loopBound(cols);
        for (; c < bound; c += F.length()) {
            FloatVector v = FloatVector.fromArray(F, w, o + c);
            a0 = v.fma(FloatVector.fromArray(F, x, x0 + c), a0);
            a1 = v.fma(FloatVector.fromArray(F, x, x1 + c), a1);
            a2 = v.fma(FloatVector.fromArray(F, x, x2 + c), a2);
            a3 = v.fma(FloatVector.fromArray(F, x, x3 + c), a3);
        }
        y[b * rows + r] = tail(sum(a0), x, x0, o, c);
        y[(b + 1) * rows + r] = tail(sum(a1), x, x1, o, c);
        y[(b + 2) * rows + r] = tail(sum(a2), x, x2, o, c);
        y[(b + 3) * rows + r] = tail(sum(a3), x, x3, o, c);
    }

    private void rows4(float[] x, float[] y, int r) {
        int o0 = r * cols, o1 = o0 + cols, o2 = o1 + cols, o3 = o2 + cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int c = 0, bound = F.loopBound(cols);
        for (; c < bound; c += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, c);
            a0 = FloatVector.fromArray(F, w, o0 + c).fma(v, a0);
            a1 = FloatVector.fromArray(F, w, o1 + c).fma(v, a1);
            a2 = FloatVector.fromArray(F, w, o2 + c).fma(v, a2);
            a3 = FloatVector.fromArray(F, w, o3 + c).fma(v, a3);
        }
        y[r] = tail(sum(a0), x, 0, o0, c);
        y[r + 1] = tail(sum(a1), x, 0, o1, c);
        y[r + 2] = tail(sum(a2), x, 0, o2, c);
        y[r + 3] = tail(sum(a3), x, 0, o3, c);
    }

    private float row(float[] x, int x0, int r) {
        int o = r * cols;
        FloatVector a = FloatVector.zero(F);
        int c = 0, bound = F.loopBound(cols);
        for (; c < bound; c += F.length()) a = FloatVector.fromArray(F, w, o + c).fma(FloatVector.fromArray(F, x, x0 + c), a);
        return tail(sum(a), x, x0, o, c);
    }

    /**
     * Lanes summed in index order: reduceLanes(ADD) on floats may use a different order in the
     * interpreter than in compiled code, which would make early and late calls differ in bits.
     */
    private static float sum(FloatVector a) {
        float s = 0f;
        for (int i = 0; i < a.length(); i++) s += a.lane(i);
        return s;
    }

    private float tail(float acc, float[] x, int x0, int o, int c) {
        for (; c < cols; c++) acc = Math.fma(w[o + c], x[x0 + c], acc);
        return acc;
    }
}

package org.ternary4j.runtime.graph;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.ternary4j.runtime.kernel.Parallel;

/**
 * The steps {@link TransformerFusion} makes of several nodes. Each computes, per element, the
 * float operations of the nodes it replaces in their order (means summed in double like
 * ReduceMean's reference, multiplies and adds never contracted to FMAs), rows shared among the
 * threads.
 */
final class FusedOps {
    private FusedOps() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** Rows of work (of about {@code rowCost} element operations each) below which a step stays on the calling thread. */
    private static Parallel split(Parallel par, int rows, int rowCost) {
        return (long) rows * rowCost < CompiledOps.SERIAL_WORK ? Parallel.serial() : par;
    }

    /** y = (x − mean) / sqrt(var + ε) · γ + β over the last axis (var the mean of (x − mean)²). */
    record LayerNorm(float eps, float[] gamma, float[] beta) implements CompiledOps.Op {
        public Tensor[] run(Tensor[] in, boolean exact, Parallel par) {
            Tensor x = in[0];
            int len = gamma.length;
            if (x.rank() == 0 || x.shape()[x.rank() - 1] != len) {
                throw new IllegalArgumentException("LayerNorm: input " + java.util.Arrays.toString(x.shape()) + " does not end in " + len);
            }
            float[] a = x.floats(), y = new float[a.length];
            int rows = a.length / len;
            split(par, rows, 8 * len).forRange(rows, 8, (from, to) -> {
                float[] d = new float[len];
                for (int r = from; r < to; r++) row(a, r * len, d, y);
            });
            return new Tensor[] {new Tensor.F32(x.shape(), y)};
        }

        private void row(float[] a, int o, float[] d, float[] y) {
            int len = d.length, bound = F.loopBound(len);
            double s = 0;
            for (int i = 0; i < len; i++) s += a[o + i];
            float mean = (float) (s / len);
            int i = 0;
            for (; i < bound; i += F.length()) FloatVector.fromArray(F, a, o + i).sub(mean).intoArray(d, i);
            for (; i < len; i++) d[i] = a[o + i] - mean;
            double v = 0;
            for (i = 0; i < len; i++) v += d[i] * d[i];
            float sd = (float) Math.sqrt((float) (v / len) + eps);
            for (i = 0; i < bound; i += F.length()) {
                FloatVector.fromArray(F, d, i).div(sd).mul(FloatVector.fromArray(F, gamma, i)).add(FloatVector.fromArray(F, beta, i)).intoArray(y, o + i);
            }
            for (; i < len; i++) y[o + i] = d[i] / sd * gamma[i] + beta[i];
        }
    }

    /** y = (x · (erf(x / root) + 1)) · half: GELU as exporters write it (root √2, half ½). */
    record Gelu(float root, float half) implements CompiledOps.Op {
        private static final int CHUNK = 4096;

        public Tensor[] run(Tensor[] in, boolean exact, Parallel par) {
            float[] a = in[0].floats(), y = new float[a.length];
            int chunks = (a.length + CHUNK - 1) / CHUNK;
            split(par, chunks, 30 * CHUNK).forRange(chunks, 1, (from, to) -> {
                int end = Math.min(a.length, to * CHUNK), i = from * CHUNK;
                for (int bound = from * CHUNK + F.loopBound(end - from * CHUNK); i < bound; i += F.length()) {
                    FloatVector x = FloatVector.fromArray(F, a, i);
                    x.mul(VectorOps.erf(x.div(root)).add(1f)).mul(half).intoArray(y, i);
                }
                for (; i < end; i++) {
                    float e = VectorOps.erf(FloatVector.broadcast(F, a[i] / root)).lane(0);
                    y[i] = a[i] * (e + 1f) * half;
                }
            });
            return new Tensor[] {new Tensor.F32(in[0].shape(), y)};
        }
    }
}

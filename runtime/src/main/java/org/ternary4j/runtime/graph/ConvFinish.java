package org.ternary4j.runtime.graph;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.ternary4j.runtime.kernel.Buffers;
import org.ternary4j.runtime.kernel.ConvOutput;
import org.ternary4j.runtime.kernel.PairLanes;

/**
 * A convolution's {@link Epilogue} applied to its output rows as the kernel wrote them: per
 * channel y·α + bias, y·scale + shift and Relu or HardSwish in place (the unfused nodes' float operations in
 * their order), then, if the epilogue pools, the 2×2 stride-2 max of a following MaxPool. The
 * extra columns of a padded view's rows are never compacted away first, and a pooled layer never
 * stores its full-size activation: on LeNet this replaced a compaction, a bias loop, an epilogue
 * pass and a MaxPool step per conv. A standalone 2×2 MaxPool runs here too, with nothing before the max.
 */
final class ConvFinish {
    private ConvFinish() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    /** [n, channels, outH, outW], or [n, channels, ⌊outH/2⌋, ⌊outW/2⌋] when e pools. Overwrites o's data (the kernel's scratch) unless e only pools. */
    static Tensor.F32 apply(Epilogue e, ConvOutput o) {
        int oh = o.outH(), ow = o.outW();
        if (e.changesValues()) perChannel(e, o);
        if (!e.pool()) {
            float[] y = o.compact();
            if (y != o.data()) Buffers.recycle(o.data());
            return new Tensor.F32(new int[] {o.n(), o.channels(), oh, ow}, y);
        }
        if (oh < 2 || ow < 2) throw new IllegalArgumentException("MaxPool: 2×2 window larger than its " + oh + "×" + ow + " input");
        int ph = oh / 2, pw = ow / 2, cols = 2 * pw;
        float[] y = Buffers.floats(Math.multiplyExact(o.planes(), ph * pw)), a = o.data();
        for (int p = 0; p < o.planes(); p++) {
            for (int py = 0; py < ph; py++) {
                int r0 = (p * oh + 2 * py) * o.pitch(), r1 = r0 + o.pitch(), dst = (p * ph + py) * pw;
                PairLanes.maxPool(a, r0, r1, cols, y, dst);
            }
        }
        Buffers.recycle(a);
        return new Tensor.F32(new int[] {o.n(), o.channels(), ph, pw}, y);
    }

    /**
     * The epilogue before the pool, in place over whole planes, a row's extra columns included
     * (they are dropped later); a plane's last partial vector goes through {@link Epilogue#one}.
     * One loop with the steps written out: a vector handed to a helper that C2 does not inline is
     * boxed, which made this pass 20× slower. Clip and Relu are a compare and a blend, as the
     * scalar operators are written: Java's vector min/max (NaN and −0 rules in several
     * instructions each) made a HardSwish epilogue cost 4× a plain normalization.
     */
    private static void perChannel(Epilogue e, ConvOutput o) {
        float[] a = o.data();
        int plane = o.outH() * o.pitch(), whole = plane / L * L;
        boolean scaled = e.alpha() != 1f, biased = e.bias() != null, normed = e.scale() != null, relu = e.relu();
        Epilogue.HardSwish h = e.swish();
        boolean swish = h != null, divideLast = swish && h.divideLast(), then = swish && h.then() != null;
        float alpha = e.alpha(), add = swish ? h.add() : 0f, div = swish ? h.div() : 1f;
        float thenScale = then ? h.then().scale() : 1f, thenShift = then ? h.then().shift() : 0f;
        FloatVector zero = FloatVector.zero(F), lo = FloatVector.broadcast(F, swish ? h.lo() : 0f), hi = FloatVector.broadcast(F, swish ? h.hi() : 0f);
        for (int p = 0; p < o.planes(); p++) {
            int c = p % o.channels();
            float b = biased ? e.bias()[c] : 0f, s = normed ? e.scale()[c] : 1f, t = normed ? e.shift()[c] : 0f;
            int from = p * plane, i = from;
            for (int end = from + whole; i < end; i += L) {
                FloatVector v = FloatVector.fromArray(F, a, i);
                if (scaled) v = v.mul(alpha);
                if (biased) v = v.add(b);
                if (normed) v = v.mul(s).add(t);
                if (relu) v = v.blend(zero, v.compare(VectorOperators.LE, 0f));
                if (swish) {
                    FloatVector x = v.add(add);
                    // clip(x, lo, hi) = x < lo ? lo : x > hi ? hi : x, as MoreOps.clip
                    FloatVector k = x.blend(hi, x.compare(VectorOperators.GT, hi)).blend(lo, x.compare(VectorOperators.LT, lo));
                    v = divideLast ? v.mul(k).div(div) : v.mul(k.div(div));
                    if (then) v = v.mul(thenScale).add(thenShift);
                }
                v.intoArray(a, i);
            }
            for (int end = from + plane; i < end; i++) a[i] = e.one(a[i], b, s, t);
        }
    }
}

package org.ternary4j.core.projection;

import java.util.Arrays;

/**
 * The exact support search of spec §1.1: among magnitudes x ≥ 0, the M ≥ 1 largest that maximise
 * S_M/√M (smallest M on ties; M = 0 when every x is zero). Used by TNT on |w| and by the joint
 * two-scale optimum on each sign separately.
 *
 * <p>Sums are taken in fixed point (a long per element, scaled so that no sum can overflow), so
 * they are exact and independent of summation order. That is what lets the bucketed search below
 * return exactly what the sorted scan returns, bit for bit, instead of "almost always".
 *
 * <p>Ties in magnitude are broken by index (lower index kept first), which the result encodes as
 * "keep every x whose bits exceed {@code thresholdBits}, plus the first {@code tiesTaken} (by
 * index) whose bits equal it".
 */
public final class ExactSupport {

    /**
     * The chosen support: its size, the cut that selects it, and the sum of the kept magnitudes in
     * fixed point ({@code fixedSum} units of {@code 2^-fixedShift}; exact only where every kept
     * magnitude is a multiple of that unit, see {@link #exactSum()}).
     */
    public record Support(int size, int thresholdBits, int tiesTaken, long fixedSum, int fixedShift) {
        static final Support EMPTY = new Support(0, Integer.MAX_VALUE, 0, 0, 0);

        /**
         * The exact sum of the kept magnitudes, or NaN when the fixed-point sum may have dropped
         * low bits of some kept value (kept values far below the maximum of a huge group). The
         * double may round the exact sum once (relative error ≤ 2^-53).
         */
        public double exactSum() {
            if (size == 0) return 0;
            // Every kept magnitude has bits ≥ thresholdBits (ties) or > it; fixed() truncates
            // v·2^shift, exact when v's last mantissa bit is worth at least one unit.
            if (thresholdBits < 0 || Math.getExponent(Float.intBitsToFloat(thresholdBits)) - 23 + fixedShift < 0) return Double.NaN;
            return Math.scalb((double) fixedSum, -fixedShift);
        }

        /** Streams the keep decision over x in index order; call {@link Cut#keep} once per index. */
        public Cut cut() {
            return new Cut(thresholdBits, tiesTaken);
        }
    }

    /** Stateful keep test: feed every magnitude once, in index order. */
    public static final class Cut {
        private final int thresholdBits;
        private int tiesLeft;

        Cut(int thresholdBits, int tiesTaken) {
            this.thresholdBits = thresholdBits;
            this.tiesLeft = tiesTaken;
        }

        public boolean keep(float magnitude) {
            int bits = Float.floatToRawIntBits(magnitude);
            if (bits > thresholdBits) return true;
            if (bits == thresholdBits && tiesLeft > 0) {
                tiesLeft--;
                return true;
            }
            return false;
        }
    }

    /**
     * Per-thread work arrays of the bucketed search, reused from group to group: fresh ones cost
     * about 7 bytes of allocation per weight on rows of 4096, a load every projecting thread adds
     * to the one shared collector. Only the first {@code buckets} entries of each mean anything.
     */
    private static final class Scratch {
        int[] count = new int[0], before = new int[0];
        long[] sum = new long[0], sumBefore = new long[0], keys = new long[0];
        int[] indices = new int[0];
        boolean[] candidate = new boolean[0];
        /** The current search's buckets: key of the top one, bits below the key, how many. */
        int maxKey, keyShift, buckets;
        /** The best prefix found so far: objective, length, fixed-point sum. */
        double best;
        int bestM;
        long bestSum;
        /** The magnitude range of the candidate buckets (and those between them): bits in [loBits, loBits + span). */
        int loBits, span;

        Scratch forBuckets(int buckets) {
            if (count.length < buckets) {
                count = new int[buckets];
                before = new int[buckets];
                sum = new long[buckets];
                sumBefore = new long[buckets];
                candidate = new boolean[buckets];
            }
            return this;
        }

        // The search's passes, each a method of its own: C2 compiles a small method once, early and
        // cheaply, where one large method was compiled several times (on-stack replacement of
        // each long loop, recompilation after a rarely taken branch), which cost a short job more
        // CPU time than the projection itself.

        /**
         * Counts and sums the magnitudes by bucket, one long per bucket: every bucket but the
         * last holds normal floats of one exponent whose fixed-point values are exact, so the low
         * 47 bits can sum bits and the high ones count; a bucket's fixed-point sum follows from
         * its exponent. The last bucket holds only magnitudes that are never kept, so it is left empty.
         */
        void countPacked(float[] x, int n, int mantissaBits, int shift) {
            int rest = buckets - 1, maxKey = this.maxKey, keyShift = this.keyShift;
            long[] sum = this.sum;
            Arrays.fill(sum, 0, buckets, 0L);
            if (GroupPasses.vectorsInUse()) countKept(x, n);
            else for (int i = 0; i < n; i++) {
                int bits = Float.floatToRawIntBits(x[i]);
                sum[Math.min(maxKey - (bits >>> keyShift), rest)] += bits + COUNT_UNIT;
            }
            for (int b = 0; b < rest; b++) {
                int k = (int) (sum[b] >>> COUNT_SHIFT), e = (maxKey - b) >>> mantissaBits;
                long mantissas = (sum[b] & (COUNT_UNIT - 1)) - (long) k * (((long) e << 23) - (1L << 23)); // Σ (2^23 + mantissa)
                count[b] = k;
                sum[b] = mantissas << (e - 150 + shift);
            }
            count[rest] = 0;
            sum[rest] = 0;
        }

        /**
         * countPacked's bucket sums for every bucket but the last, whose magnitudes (about a third
         * of a Gaussian row's) are first dropped a vector at a time: about a quarter less CPU time
         * than counting every magnitude. The last bucket's sum is left 0.
         */
        private void countKept(float[] x, int n) {
            int maxKey = this.maxKey, keyShift = this.keyShift;
            long[] sum = this.sum;
            int[] kept = indices(n + 64); // free until the candidates are gathered; room for one vector store past the last
            int k = GroupPasses.bitsAtLeast(x, n, (maxKey - (buckets - 1) + 1) << keyShift, kept);
            for (int j = 0; j < k; j++) {
                int bits = kept[j];
                sum[maxKey - (bits >>> keyShift)] += bits + COUNT_UNIT;
            }
        }

        /** Counts and sums the magnitudes by bucket, a count and a fixed-point sum each. */
        void countPlain(float[] x, int n, double scale) {
            Arrays.fill(count, 0, buckets, 0);
            Arrays.fill(sum, 0, buckets, 0L);
            for (int i = 0; i < n; i++) {
                int b = bucket(x[i], maxKey, keyShift, buckets);
                count[b]++;
                sum[b] += fixed(x[i], scale);
            }
        }

        /** The exact objective at every bucket boundary: the best of them, and each bucket's count and sum before it. */
        void scanBoundaries() {
            best = -1;
            bestM = 0;
            bestSum = 0;
            int c = 0;
            long s = 0;
            for (int b = 0; b < buckets; b++) {
                before[b] = c;
                sumBefore[b] = s;
                if (count[b] == 0) continue;
                c += count[b];
                s += sum[b];
                double f = objective(s, c);
                if (f > best) {
                    best = f;
                    bestM = c;
                    bestSum = s;
                }
            }
        }

        /**
         * Marks the buckets whose interior might beat the best boundary, and those between them
         * (one range of float bits, which the gather tests with two compares instead of a table
         * load); returns how many magnitudes they hold.
         */
        int markCandidates(float max, double scale) {
            int candidates = 0;
            // A cheaper bound first, (S + T)/√(C + 1) ≥ the interior bound, compared squared: it
            // settles most buckets without a square root.
            double cheapLimit = best * best * (1 - CHEAP_SLACK);
            for (int b = 0; b < buckets; b++) {
                candidate[b] = false;
                if (count[b] < 2) continue;
                double whole = (double) sumBefore[b] + sum[b];
                if (whole * whole < cheapLimit * (before[b] + 1)) continue;
                // No value in bucket b exceeds its upper edge (the maximum itself for the top bucket).
                long top = b == 0 ? fixed(max, scale) : fixed(Float.intBitsToFloat((maxKey - b + 1) << keyShift), scale);
                if (interiorBound(sumBefore[b], before[b], top, sum[b], count[b]) >= best * (1 - PRUNE_SLACK)) {
                    candidate[b] = true;
                    candidates += count[b];
                }
            }
            if (candidates == 0) return 0;
            int first = 0, last = buckets - 1;
            while (!candidate[first]) first++;
            while (!candidate[last]) last--;
            for (int b = first + 1; b < last; b++) { // (a loop to "≤ last" cost a deoptimization on its limit check)
                if (!candidate[b]) candidates += count[b];
                candidate[b] = true;
            }
            loBits = last == buckets - 1 ? 0 : (maxKey - last) << keyShift;
            span = ((maxKey - first + 1) << keyShift) - loBits;
            return candidates;
        }

        /** The support of the best boundary. */
        Support supportAtBest(int shift) {
            return supportAtBoundary(new Prefix(-1, bestM, bestSum, shift), count, buckets, maxKey, keyShift);
        }

        /** Sorts the candidates' magnitudes, grouped by bucket, and scans each candidate bucket's interior exactly. */
        Support scanCandidates(float[] x, int n, int candidates, int shift) {
            double scale = Math.scalb(1.0, shift);
            int[] indices = indices(candidates + 64); // room for one vector store past the last
            if (GroupPasses.indicesInRange(x, n, loBits, span, indices) != candidates) throw new IllegalStateException("candidate count");
            long[] keys = keys(candidates);
            for (int j = 0; j < candidates; j++) keys[j] = sortKey(x[indices[j]], indices[j]);
            Arrays.sort(keys, 0, candidates); // buckets are ranges of magnitude, so bucket order is preserved
            int bestLast = -1; // index into keys of the last kept element, when the best is interior
            int start = 0;
            for (int b = 0; b < buckets; b++) {
                if (!candidate[b]) continue;
                long run = sumBefore[b];
                for (int j = 0; j < count[b] - 1; j++) { // interior only: the boundary is already known
                    run += fixed(x[keyIndex(keys[start + j])], scale);
                    int m = before[b] + j + 1;
                    double f = objective(run, m);
                    if (f > best || (f == best && m < bestM)) {
                        best = f;
                        bestM = m;
                        bestSum = run;
                        bestLast = start + j;
                    }
                }
                start += count[b];
            }
            if (bestLast < 0) return supportAtBest(shift);
            // Ties at the cut share one bucket, so looking for them among the sorted candidates suffices.
            return cutAt(keys, candidates, new Prefix(bestLast, bestM, bestSum, shift), x);
        }

        /** A buffer of at least n keys; a large one is not kept, so a huge group leaves no huge array behind. */
        long[] keys(int n) {
            if (n > REUSE_LIMIT) return new long[n];
            if (keys.length < n) keys = new long[Math.min(REUSE_LIMIT, Math.max(n, keys.length * 2))];
            return keys;
        }

        /** The same for indices, with room for one vector store past a largest group's. */
        int[] indices(int n) {
            if (n > REUSE_LIMIT + 64) return new int[n];
            if (indices.length < n) indices = new int[Math.min(REUSE_LIMIT + 64, Math.max(n, indices.length * 2))];
            return indices;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Groups larger than this get fresh arrays: their own work dwarfs an allocation, and a thread should not keep gigabytes. */
    static final int REUSE_LIMIT = 1 << 16;

    /** Groups up to this size may count and sum bits in one long per bucket: 2^16 sums of 31-bit values fit below bit 47. */
    private static final int PACKED_LIMIT = 1 << 16;
    private static final int COUNT_SHIFT = 47;
    private static final long COUNT_UNIT = 1L << COUNT_SHIFT;

    /** Below this size the plain sorted scan is already the fastest exact method. */
    static final int SMALL = 48;
    /** Buckets span this many octaves below the maximum; smaller magnitudes share the last one. */
    private static final int OCTAVES = 32;
    /** Prune a bucket only when its bound is below the best by more than rounding could explain. */
    private static final double PRUNE_SLACK = 1e-12;
    /** The same for the cheaper bound, compared squared; wide enough for its own rounding. */
    private static final double CHEAP_SLACK = 1e-9;

    private ExactSupport() {}

    /** The exact optimum; requires 0 ≤ x[i] < ∞ for i < n. */
    public static Support select(float[] x, int n) {
        return n <= SMALL ? sortedScan(x, n) : bucketScan(x, n);
    }

    /**
     * {@link #select(float[], int)} for a caller that already knows the largest magnitude and a
     * lower bound of their sum (it sums in whatever order is fast; see {@link #bucketScan}).
     */
    static Support select(float[] x, int n, float max, double sumAtLeast) {
        return n <= SMALL ? sortedScan(x, n) : bucketScan(x, n, max, sumAtLeast);
    }

    /** Fixed-point scale 2^shift such that n values ≤ max sum below 2^61. */
    static double fixedScale(float max, int n) {
        return Math.scalb(1.0, fixedShift(max, n));
    }

    static int fixedShift(float max, int n) {
        int log2n = 32 - Integer.numberOfLeadingZeros(n);
        return 60 - log2n - Math.getExponent(max);
    }

    static double objective(long sum, int m) {
        return sum / Math.sqrt(m);
    }

    /** Reference: full sort by (magnitude desc, index asc), then a scan over every M. */
    public static Support sortedScan(float[] x, int n) {
        float max = 0f;
        for (int i = 0; i < n; i++) max = Math.max(max, x[i]);
        if (max == 0f) return Support.EMPTY;
        double scale = fixedScale(max, n);
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) keys[i] = sortKey(x[i], i);
        if (n <= SMALL) insertionSort(keys, n);
        else Arrays.sort(keys);
        long[] sum = {0};
        int bestM = bestPrefix(keys, n, (i, m) -> objective(sum[0] += fixed(x[i], scale), m));
        long kept = 0;
        for (int j = 0; j < bestM; j++) kept += fixed(x[keyIndex(keys[j])], scale);
        return cutAt(keys, n, new Prefix(bestM - 1, bestM, kept, fixedShift(max, n)), x);
    }

    /** The objective of a prefix, told the index it grows by and its new length (calls come in order). */
    interface PrefixObjective {
        double grow(int index, int length);
    }

    /**
     * The scan of spec §1.1 and §1.3: feed the first m sorted keys in order, one prefix at a time,
     * and return the length of the prefix with the largest positive objective (the shortest on
     * ties; 0 if none is positive). Every prefix is evaluated: the objective is not unimodal.
     */
    static int bestPrefix(long[] sortedKeys, int m, PrefixObjective objective) {
        double best = 0;
        int bestM = 0;
        for (int j = 0; j < m; j++) {
            double f = objective.grow(keyIndex(sortedKeys[j]), j + 1);
            if (f > best) {
                best = f;
                bestM = j + 1;
            }
        }
        return bestM;
    }

    /** A best prefix found among sorted keys: its last key's position, its length and fixed-point sum. */
    private record Prefix(int last, int size, long fixedSum, int fixedShift) {}

    /**
     * The support of the prefix whose last kept element is keys[p.last] in sorted order (keys
     * holds {@code length} keys, every magnitude equal to that one among them): keep what lies
     * above its magnitude, plus the equal magnitudes sorted before it (they share one run of
     * keys). When the run ends with the prefix, the cut is a plain threshold without ties, so
     * writing the codes needs no second pass.
     */
    private static Support cutAt(long[] keys, int length, Prefix p, float[] x) {
        int last = p.last();
        int thr = Float.floatToRawIntBits(x[keyIndex(keys[last])]);
        int ties = 0;
        for (int j = last; j >= 0 && Float.floatToRawIntBits(x[keyIndex(keys[j])]) == thr; j--) ties++;
        boolean runEnds = last + 1 >= length || Float.floatToRawIntBits(x[keyIndex(keys[last + 1])]) != thr;
        return runEnds ? new Support(p.size(), thr - 1, 0, p.fixedSum(), p.fixedShift()) : new Support(p.size(), thr, ties, p.fixedSum(), p.fixedShift());
    }

    /**
     * Exact search without a full sort: bucket the magnitudes by their top float bits, evaluate
     * the objective exactly at every bucket boundary, bound it inside each bucket, and sort only
     * the few buckets whose bound could beat the best boundary.
     */
    static Support bucketScan(float[] x, int n) {
        GroupPasses.Summary summary = GroupPasses.summarize(x, n);
        return bucketScan(x, n, summary.max(), summary.sumAtLeast());
    }

    private static Support bucketScan(float[] x, int n, float max, double sumAtLeast) {
        if (max == 0f) return Support.EMPTY;
        int maxBits = Float.floatToRawIntBits(max);
        int shift = fixedShift(max, n);
        double scale = Math.scalb(1.0, shift);
        // The last kept magnitude is ≥ a*/2 with a* = f(M*)/√M* (dropping it must not raise f),
        // and f(M*) ≥ max(f(1), f(n)) = max(max, sum/√n) with √M* ≤ √n. Magnitudes below that
        // are never kept: they share the last bucket, so the buckets' scans span only what can
        // be kept (about 3 octaves on Gaussian rows instead of 10). The slack covers the
        // caller's rounded sum and the float cut.
        double rootN = Math.sqrt(n);
        float lowest = (float) (Math.max(max, sumAtLeast / rootN) / (2 * rootN) * (1 - 1e-6));
        int log2n = 32 - Integer.numberOfLeadingZeros(n);
        int octaves = Math.min(OCTAVES, 3 + (log2n + 1) / 2);
        // Finer buckets for larger groups keep the few buckets that must be sorted small.
        int mantissaBits = n >= 1 << 20 ? 10 : n >= 1 << 14 ? 7 : n >= 1 << 10 ? 6 : 4;
        int keyShift = 23 - mantissaBits;
        int maxKey = maxBits >>> keyShift;
        // Keys maxKey … lowestKey get a bucket each; below lowestKey, one shared last bucket.
        int buckets = Math.min(octaves << mantissaBits, maxKey - (Float.floatToRawIntBits(lowest) >>> keyShift) + 2);

        Scratch scratch = SCRATCH.get().forBuckets(buckets);
        scratch.maxKey = maxKey;
        scratch.keyShift = keyShift;
        scratch.buckets = buckets;
        int lowestExponent = (maxKey - (buckets - 2)) >>> mantissaBits; // of the lowest bucket but the last
        boolean restNeverKept = buckets == maxKey - (Float.floatToRawIntBits(lowest) >>> keyShift) + 2;
        if (n <= PACKED_LIMIT && restNeverKept && lowestExponent >= 1 && lowestExponent - 150 + shift >= 0) scratch.countPacked(x, n, mantissaBits, shift);
        else scratch.countPlain(x, n, scale);
        scratch.scanBoundaries();
        int candidates = scratch.markCandidates(max, scale);
        if (candidates == 0) return scratch.supportAtBest(shift);
        return scratch.scanCandidates(x, n, candidates, shift);
    }

    /**
     * Upper bound of S_M/√M for M strictly inside bucket b: with C, S before it, top value h and
     * bucket sum T, S_{C+k} ≤ min(S + k·h, S + T). (S+k·h)/√(C+k) falls then rises in k, and
     * (S+T)/√(C+k) only falls, so the maximum sits at k = 1, at the crossing K, or at K + 1.
     */
    static double interiorBound(long sBefore, int cBefore, long h, long bucketSum, int count) {
        int kMax = count - 1;
        long cross = h == 0 ? kMax : Math.min(kMax, bucketSum / h);
        double bound = bound(sBefore, cBefore, h, bucketSum, 1);
        if (cross >= 1) bound = Math.max(bound, bound(sBefore, cBefore, h, bucketSum, (int) cross));
        if (cross + 1 <= kMax) bound = Math.max(bound, bound(sBefore, cBefore, h, bucketSum, (int) cross + 1));
        return bound;
    }

    private static double bound(long sBefore, int cBefore, long h, long bucketSum, int k) {
        double s = Math.min((double) sBefore + (double) k * h, (double) sBefore + bucketSum);
        return s / Math.sqrt(cBefore + k);
    }

    /** The support of the first p.size() magnitudes in bucket order; {@code count} may be longer than {@code buckets} (reused scratch). */
    private static Support supportAtBoundary(Prefix p, int[] count, int buckets, int maxKey, int keyShift) {
        int c = 0;
        for (int b = 0; b < buckets; b++) {
            c += count[b];
            if (c == p.size()) {
                // Keep every magnitude whose key is at least this bucket's; last bucket keeps all.
                int thr = b == buckets - 1 ? -1 : ((maxKey - b) << keyShift) - 1;
                return new Support(p.size(), thr, 0, p.fixedSum(), p.fixedShift());
            }
        }
        throw new IllegalStateException("boundary " + p.size() + " not found");
    }

    private static int bucket(float v, int maxKey, int keyShift, int buckets) {
        int d = maxKey - (Float.floatToRawIntBits(v) >>> keyShift);
        return Math.min(d, buckets - 1);
    }

    private static long fixed(float v, double scale) {
        return (long) (v * scale);
    }

    /** Ascending order of this key is magnitude descending, then index ascending. */
    static long sortKey(float v, int index) {
        return ((long) (Integer.MAX_VALUE - Float.floatToRawIntBits(v)) << 32) | index;
    }

    static int keyIndex(long key) {
        return (int) key;
    }

    private static void insertionSort(long[] a, int n) {
        for (int i = 1; i < n; i++) {
            long v = a[i];
            int j = i - 1;
            while (j >= 0 && a[j] > v) {
                a[j + 1] = a[j];
                j--;
            }
            a[j + 1] = v;
        }
    }
}

package org.ternary4j.ptq.calibrate;

/**
 * Which rows (conv output positions or dense input vectors, numbered across the whole calibration
 * set: row = example·rowsPerExample + position) a layer's statistics take: every {@code stride}-th,
 * starting with row 0. The Gram matrix of k inputs is well estimated from a few thousand rows, and
 * neighbouring positions are nearly copies of each other, while accumulating costs k² per row: the
 * stride keeps about {@link #target} rows. The stride shares no factor with the rows' period (the
 * conv output width), so the kept rows visit every column, not one fixed grid of them.
 */
record RowSample(long stride) {
    static final long MIN_ROWS = 8192;
    static final long ROWS_PER_INPUT = 64;

    static final RowSample ALL = new RowSample(1);

    RowSample {
        if (stride < 1) throw new IllegalArgumentException("row stride must be ≥ 1, got " + stride);
    }

    /** Rows kept of a problem with {@code k} inputs. */
    static long target(int k) {
        return Math.max(MIN_ROWS, ROWS_PER_INPUT * k);
    }

    /** The sample for {@code total} rows of {@code k} inputs, rows repeating with {@code period} (the conv output width, or 1). */
    static RowSample of(long total, int k, long period) {
        long s = Math.max(1, total / target(k));
        while (s > 1 && gcd(s, period) != 1) s++;
        return new RowSample(s);
    }

    /** The first kept row at or after {@code row}. */
    long firstFrom(long row) {
        return (row + stride - 1) / stride * stride;
    }

    private static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}

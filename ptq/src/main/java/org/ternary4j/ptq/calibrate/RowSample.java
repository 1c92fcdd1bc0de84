package org.ternary4j.ptq.calibrate;

/**
 * Which rows (conv output positions or dense input vectors, numbered across the whole calibration
 * set: row = example·rowsPerExample + position) a layer's statistics take: every {@code stride}-th,
 * starting with row 0, so that accumulating (k² per row) stays bounded for very large calibration
 * sets. The stride shares no factor with the rows' period (the conv output width), so the kept
 * rows visit every column, not one fixed grid of them. The target is high on purpose: on the
 * PaddleOCR classifier (1024 lines) keeping 8–64 k rows per layer cost 2 points of orientation
 * accuracy (0.964–0.967 against 0.985 with every row), so ordinary calibration sets keep them all.
 */
record RowSample(long stride) {
    static final long MIN_ROWS = 1L << 22;
    static final long ROWS_PER_INPUT = 4096;

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

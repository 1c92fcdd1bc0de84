package org.ternary4j.core.grouping;

/**
 * Where each group's elements lie in a tensor's row-major array. Group g holds the elements
 * {@code index[starts[g]] … index[starts[g+1]-1]}, or, when {@code index} is null (contiguous
 * groupings), the elements {@code starts[g] … starts[g+1]-1} themselves.
 */
public record GroupLayout(int[] starts, int[] index) {

    public static GroupLayout contiguous(int count, int size) {
        int[] starts = new int[count + 1];
        for (int g = 0; g <= count; g++) starts[g] = g * size;
        return new GroupLayout(starts, null);
    }

    public int groupCount() {
        return starts.length - 1;
    }

    public int elementCount() {
        return starts[starts.length - 1];
    }

    public int size(int g) {
        return starts[g + 1] - starts[g];
    }

    public int maxSize() {
        int m = 0;
        for (int g = 0; g < groupCount(); g++) m = Math.max(m, size(g));
        return m;
    }

    /** The flat array position of the j-th element of group g. */
    public int position(int g, int j) {
        int k = starts[g] + j;
        return index == null ? k : index[k];
    }

    /**
     * Whether every group lies inside one row of {@code rowLength} consecutive positions (an output
     * channel, for canonical [out, …] weights); then rows can be handled independently.
     */
    public boolean rowLocal(int rowLength) {
        for (int g = 0; g < groupCount(); g++) {
            int n = size(g);
            if (n == 0) continue;
            int row = position(g, 0) / rowLength;
            for (int j = 1; j < n; j++) if (position(g, j) / rowLength != row) return false;
        }
        return true;
    }

    public void gather(float[] src, int g, float[] dst) {
        int from = starts[g], n = size(g);
        if (index == null) System.arraycopy(src, from, dst, 0, n);
        else for (int j = 0; j < n; j++) dst[j] = src[index[from + j]];
    }

    public void scatter(byte[] src, int g, byte[] dst) {
        int from = starts[g], n = size(g);
        if (index == null) System.arraycopy(src, 0, dst, from, n);
        else for (int j = 0; j < n; j++) dst[index[from + j]] = src[j];
    }
}

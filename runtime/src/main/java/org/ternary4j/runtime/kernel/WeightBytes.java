package org.ternary4j.runtime.kernel;

/**
 * Where a packed layer's resident bytes go: codes (with the layout's index tables), float scales,
 * and float conv biases kept beside them. The sum is what the bits-per-weight budget counts.
 */
public record WeightBytes(long codes, long scales, long biases) {
    public static final WeightBytes NONE = new WeightBytes(0, 0, 0);

    public long total() {
        return codes + scales + biases;
    }

    public WeightBytes plus(WeightBytes o) {
        return new WeightBytes(codes + o.codes, scales + o.scales, biases + o.biases);
    }
}

package org.ternary4j.formats.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Examples to feed a model: one or more input arrays sharing their first (example) dimension,
 * and optional integer class labels. An input with a null name goes to the model's only input;
 * named inputs (from an .npz whose arrays are named after the model's inputs) are matched by name.
 */
public record Dataset(String source, List<NamedArray> inputs, int[] labels) {

    public record NamedArray(String name, NdArray array) {}

    public Dataset {
        Objects.requireNonNull(source);
        inputs = List.copyOf(inputs);
        if (inputs.isEmpty()) throw new IllegalArgumentException(source + ": no input arrays");
        int n = -1;
        for (NamedArray in : inputs) {
            if (in.array().shape().length == 0) {
                throw new IllegalArgumentException(source + ": input " + label(in) + " is a scalar; expected [examples, ...]");
            }
            int c = in.array().count();
            if (n >= 0 && c != n) {
                throw new IllegalArgumentException(source + ": input " + label(in) + " has " + c + " examples, the others " + n);
            }
            n = c;
        }
        if (labels != null) {
            labels = labels.clone();
            if (labels.length != n) {
                throw new IllegalArgumentException(source + ": " + labels.length + " labels for " + n + " examples");
            }
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] < 0) throw new IllegalArgumentException(source + ": negative label " + labels[i] + " at example " + i);
            }
        }
    }

    public static Dataset of(String source, NdArray inputs, int[] labels) {
        return new Dataset(source, List.of(new NamedArray(null, inputs)), labels);
    }

    private static String label(NamedArray in) {
        return in.name() == null ? "array" : "'" + in.name() + "'";
    }

    public int count() {
        return inputs.get(0).array().count();
    }

    public boolean hasLabels() {
        return labels != null;
    }

    /** The first {@code n} examples (all of them when n ≥ count). */
    public Dataset limit(int n) {
        if (n < 0) throw new IllegalArgumentException("limit must be ≥ 0, got " + n);
        return n >= count() ? this : slice(0, n);
    }

    /** Examples [from, to). */
    public Dataset slice(int from, int to) {
        List<NamedArray> parts = new ArrayList<>(inputs.size());
        for (NamedArray in : inputs) parts.add(new NamedArray(in.name(), in.array().slice(from, to)));
        return new Dataset(source, parts, labels == null ? null : Arrays.copyOfRange(labels, from, to));
    }
}

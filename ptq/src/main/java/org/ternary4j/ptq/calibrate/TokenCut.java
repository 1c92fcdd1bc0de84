package org.ternary4j.ptq.calibrate;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.data.NdArray;
import org.ternary4j.formats.onnx.OnnxGraph;
import org.ternary4j.formats.onnx.ValueInfo;

/**
 * Batches of the calibration examples of a model with a {@value TokenMask#INPUT} input that ONNX
 * Runtime runs only up to their last real token. It computes padded positions as if they were text
 * (at 64 tokens, 77 % of MiniLM's calibration rows were padding), so the examples go in order of
 * their real length (one past the last real token; equal lengths keep their order) and each
 * batch's token inputs ({@code arrays}) are cut after the last real token of any of its examples.
 * The positions cut are padding in every example of the batch and attention masks them out, so
 * the real tokens' values differ only by the order in which kernels add (fewer exact zeros).
 * <p>
 * Planned only when the model's {@value TokenMask#INPUT} declares both its axes by symbol and
 * every input fed an array with the mask's token axis ([examples, tokens, ...]) declares the same
 * symbol there: then all of them take the shorter length together.
 */
record TokenCut(Set<String> arrays, List<Examples> batches) {

    /** The batches of at most {@code size} examples of {@code data} for a model with inputs as in {@code g}, or null when the data cannot be cut. */
    static TokenCut plan(OnnxGraph g, Dataset data, int size) {
        TokenMask mask = TokenMask.of(data);
        if (mask == null) return null;
        Map<String, ValueInfo> declared = new HashMap<>();
        for (ValueInfo v : g.runtimeInputs()) {
            // A fixed batch size pads batches with repeated examples; those models keep the uncut path.
            if (v.dims().isEmpty() || !symbolic(v.dims().get(0))) return null;
            declared.put(v.name(), v);
        }
        ValueInfo m = declared.get(TokenMask.INPUT);
        if (m == null || m.dims().size() != 2 || !symbolic(m.dims().get(1))) return null;
        String axis = m.dims().get(1);
        Set<String> arrays = new LinkedHashSet<>();
        for (Dataset.NamedArray a : data.inputs()) {
            int[] s = a.array().shape();
            if (s.length < 2 || s[1] != mask.tokens()) continue;
            ValueInfo in = declared.get(a.name());
            if (in == null || in.dims().size() != s.length || !in.dims().get(1).equals(axis)) return null;
            arrays.add(a.name());
        }
        int[] length = new int[mask.examples()];
        for (int e = 0; e < length.length; e++) length[e] = mask.length(e);
        int[] order = IntStream.range(0, length.length).boxed().sorted(Comparator.comparingInt(e -> length[e])).mapToInt(Integer::intValue).toArray();
        List<Examples> batches = new ArrayList<>();
        for (int from = 0; from < order.length; from += size) {
            int[] index = java.util.Arrays.copyOfRange(order, from, Math.min(order.length, from + size));
            int tokens = 1; // an example of padding only still runs at one position
            for (int e : index) tokens = Math.max(tokens, length[e]);
            batches.add(new Examples(index, tokens));
        }
        return new TokenCut(Set.copyOf(arrays), List.copyOf(batches));
    }

    private static boolean symbolic(String dim) {
        return !dim.isEmpty() && !dim.equals("?") && !dim.chars().allMatch(Character::isDigit);
    }

    /** The examples of {@code batch}, in its order, with the token arrays cut to its token count. */
    Dataset batch(Dataset data, Examples batch) {
        List<Dataset.NamedArray> out = new ArrayList<>();
        int n = batch.count();
        for (Dataset.NamedArray a : data.inputs()) {
            int[] shape = a.array().shape().clone();
            int per = a.array().exampleSize();
            boolean cut = arrays.contains(a.name());
            // C order: an example's first positions are the first values of its [tokens, ...] block.
            int keep = cut ? per / shape[1] * batch.tokens() : per;
            float[] v = new float[n * keep];
            for (int i = 0; i < n; i++) System.arraycopy(a.array().data(), batch.get(i) * per, v, i * keep, keep);
            shape[0] = n;
            if (cut) shape[1] = batch.tokens();
            out.add(new Dataset.NamedArray(a.name(), new NdArray(shape, v)));
        }
        return new Dataset(data.source(), out, null);
    }
}

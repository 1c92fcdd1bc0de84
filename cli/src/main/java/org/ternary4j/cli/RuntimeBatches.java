package org.ternary4j.cli;

import ai.onnxruntime.OnnxJavaType;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ternary4j.eval.ort.InputPlan;
import org.ternary4j.runtime.TernaryModel;
import org.ternary4j.runtime.graph.Graph;
import org.ternary4j.runtime.graph.Tensor;

/** A data set fed to the project's runtime in batches, as {@code run} and {@code task} feed it. */
final class RuntimeBatches {
    private RuntimeBatches() {}

    private static final Set<OnnxJavaType> FLOATING = EnumSet.of(OnnxJavaType.FLOAT, OnnxJavaType.DOUBLE, OnnxJavaType.FLOAT16);

    /**
     * Runs examples [0, n) in batches of {@code batch}, each example's {@code output} flattened
     * into sink (null: dropped); with {@code nodeNanos}, profiled by node into it.
     */
    static void run(TernaryModel m, List<InputPlan.Binding> inputs, String output, int n, int batch, float[][] sink,
                    Map<Graph.NodeKey, Long> nodeNanos) {
        for (int from = 0; from < n; from += batch) {
            int to = Math.min(n, from + batch);
            Map<String, Tensor> feed = new HashMap<>();
            for (InputPlan.Binding b : inputs) feed.put(b.input().name(), slice(b, from, to));
            float[] out = (nodeNanos == null ? m.run(feed) : m.profileNodes(feed, nodeNanos)).get(output).floats();
            if (sink == null) continue;
            int width = out.length / (to - from);
            for (int i = from; i < to; i++) sink[i] = Arrays.copyOfRange(out, (i - from) * width, (i - from + 1) * width);
        }
    }

    /** Examples [from, to) of one input in its declared example shape: floats as they are, integer inputs (ids, masks) as int64. */
    private static Tensor slice(InputPlan.Binding b, int from, int to) {
        int per = b.data().exampleSize();
        int[] shape = new int[b.exampleShape().length + 1];
        shape[0] = to - from;
        for (int i = 1; i < shape.length; i++) shape[i] = Math.toIntExact(b.exampleShape()[i - 1]);
        float[] chunk = Arrays.copyOfRange(b.data().data(), from * per, to * per);
        if (FLOATING.contains(b.input().type())) return new Tensor.F32(shape, chunk);
        long[] ids = new long[chunk.length];
        for (int i = 0; i < ids.length; i++) ids[i] = (long) chunk[i];
        return new Tensor.I64(shape, ids);
    }
}

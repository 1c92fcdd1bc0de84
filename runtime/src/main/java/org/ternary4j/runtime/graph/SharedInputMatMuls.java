package org.ternary4j.runtime.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ternary4j.runtime.kernel.Buffers;
import org.ternary4j.runtime.kernel.PackedTernaryMatrix;
import org.ternary4j.runtime.kernel.Parallel;
import org.ternary4j.runtime.kernel.ReductionLayout;

/**
 * MatMuls by packed table-lookup weights that read the same input (a transformer layer's query,
 * key and value projections) as one step: on the int8 path each thread quantizes its rows and
 * builds their lookup tables once for all of them, in one hand-over instead of one per MatMul
 * ({@link RowSplit#gemmShared}); on the exact path, or where the tables are not shared, they run
 * one after the other. Every output has the bits its own MatMul gives it.
 *
 * @param members the MatMuls, in graph order; the step's outputs are theirs in the same order
 */
record SharedInputMatMuls(CompiledOps.TernaryMatMul[] members) implements CompiledOps.Op {

    @Override
    public boolean ternary() {
        return true;
    }

    @Override
    public boolean int8Pays() {
        return true;
    }

    @Override
    public int layers() {
        return members.length;
    }

    public Tensor[] run(Tensor[] in, boolean exact, Parallel par) {
        Tensor a = in[0];
        int[] as = a.shape();
        PackedTernaryMatrix[] ms = new PackedTernaryMatrix[members.length];
        float[][] ys = new float[members.length][], biases = new float[members.length][];
        int k = members[0].layer().m().cols();
        if (as.length == 0 || as[as.length - 1] != k) {
            throw new IllegalArgumentException("MatMul node '" + members[0].node().label() + "': input " + Arrays.toString(as) + " does not end in " + k);
        }
        int rows = a.size() / k;
        Tensor[] out = new Tensor[members.length];
        for (int i = 0; i < members.length; i++) {
            ms[i] = members[i].layer().m();
            biases[i] = members[i].bias();
            ys[i] = Buffers.floats(rows * ms[i].rows());
            int[] shape = as.clone();
            shape[shape.length - 1] = ms[i].rows();
            out[i] = new Tensor.F32(shape, ys[i]);
        }
        RowSplit.gemmShared(ms, a.floats(), rows, ys, biases, exact, par);
        return out;
    }

    /**
     * The steps with each set of table-lookup MatMuls that read one value and have one input layout
     * made one step, at the place of the first: it reads nothing the others do not (their weights
     * are packed, their biases constants), so running them there changes no input, and each
     * output's consumers come after its own MatMul, later still.
     */
    static List<Graph.Step> group(List<Graph.Step> steps) {
        Map<Integer, List<Integer>> byInput = new LinkedHashMap<>();
        for (int k = 0; k < steps.size(); k++) {
            if (steps.get(k).kernel() instanceof CompiledOps.TernaryMatMul t && t.int8Pays() && steps.get(k).in()[0] >= 0) {
                byInput.computeIfAbsent(steps.get(k).in()[0], s -> new ArrayList<>()).add(k);
            }
        }
        Map<Integer, Graph.Step> replaced = new LinkedHashMap<>();
        Set<Integer> dropped = new HashSet<>();
        for (List<Integer> readers : byInput.values()) {
            ReductionLayout first = matMul(steps, readers.getFirst()).layer().m().layout();
            List<Integer> group = readers.stream().filter(k -> matMul(steps, k).layer().m().layout().sameOrder(first)).toList();
            if (group.size() < 2) continue;
            Graph.Step lead = steps.get(group.getFirst());
            CompiledOps.TernaryMatMul[] members = group.stream().map(k -> matMul(steps, k)).toArray(CompiledOps.TernaryMatMul[]::new);
            int[] out = group.stream().mapToInt(k -> steps.get(k).out()[0]).toArray();
            replaced.put(group.getFirst(), new Graph.Step(lead.op(), lead.name(), lead.in(), lead.inNames(), out, new SharedInputMatMuls(members)));
            dropped.addAll(group.subList(1, group.size()));
        }
        List<Graph.Step> result = new ArrayList<>();
        for (int k = 0; k < steps.size(); k++) {
            if (dropped.contains(k)) continue;
            result.add(replaced.getOrDefault(k, steps.get(k)));
        }
        return result;
    }

    private static CompiledOps.TernaryMatMul matMul(List<Graph.Step> steps, int k) {
        return (CompiledOps.TernaryMatMul) steps.get(k).kernel();
    }
}

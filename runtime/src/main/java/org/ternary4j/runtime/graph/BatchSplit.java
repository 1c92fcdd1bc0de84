package org.ternary4j.runtime.graph;

import java.util.Arrays;
import java.util.List;
import org.ternary4j.formats.onnx.ValueInfo;
import org.ternary4j.runtime.kernel.FloatKernels;

/**
 * A batch run as one sub-batch per thread, each through the whole graph on one thread, the
 * outputs joined along their first dimension. Sharing each step's work among the threads instead
 * costs a hand-over per step: on the project's Zen 3 VM, whose two cores are far apart, VGG at
 * batch 16 ran 1.38× faster on two threads than on one that way (ONNX Runtime 1.64×).
 *
 * <p>It applies where the graph declares a batch (every input's first dimension the same symbol,
 * every output's first dimension symbolic) and, for each batch size, where the first batch-split
 * run of that size gave the same bits as a whole one: the graph then does not mix its examples (a
 * batch-wide reduction, outputs gathered across the batch), and its kernels give each example
 * the same bits at the parts' size as at the whole batch's. Kernels choose by the number of rows,
 * and not all of them give the same bits at every size, so outputs stay those of a whole run
 * whatever the thread count.
 */
final class BatchSplit {
    private BatchSplit() {}

    /** Whether the declared inputs and outputs have a batch dimension first (see the class comment). */
    static boolean declared(List<ValueInfo> inputs, List<ValueInfo> outputs) {
        if (inputs.isEmpty() || outputs.isEmpty()) return false;
        String batch = firstSymbol(inputs.getFirst());
        if (batch == null || batch.equals("?")) return false;
        for (ValueInfo v : inputs) if (!batch.equals(firstSymbol(v))) return false;
        for (ValueInfo v : outputs) if (firstSymbol(v) == null) return false;
        return true;
    }

    /** The symbol of v's first dimension, "?" when unnamed, null when it has none or it is a number. */
    private static String firstSymbol(ValueInfo v) {
        if (!v.hasShape() || v.dims().isEmpty() || v.shape()[0] >= 0) return null;
        return v.dims().getFirst();
    }

    /** The parts a run of these inputs takes on {@code threads} threads: {@link #parts(int, int)} where every input has the same batch, else 1. */
    static int parts(Tensor[] in, int threads) {
        if (in.length == 0 || in[0].rank() == 0) return 1;
        int batch = in[0].shape()[0];
        for (Tensor t : in) if (t.rank() == 0 || t.shape()[0] != batch) return 1;
        return parts(batch, threads);
    }

    /** One part per thread for a batch of at least as many examples, else 1. */
    static int parts(int batch, int threads) {
        return threads >= 2 && batch >= threads ? threads : 1;
    }

    /** A batch size and its parts as one key. */
    static long key(int batch, int parts) {
        return (long) batch << 32 | parts;
    }

    /**
     * Whether every float of these tensors is finite. Kernels choose for a whole batch by that (a
     * NaN sends the exact products of every vector beside it to the per-vector kernels, whose
     * bits differ from the panels'), so a batch that holds one, in its inputs or its outputs, runs whole.
     */
    static boolean finite(Iterable<Tensor> ts) {
        for (Tensor t : ts) if (t instanceof Tensor.F32 f && !FloatKernels.allFinite(f.data(), 0, f.data().length)) return false;
        return true;
    }

    /** The first example of part p of {@code parts} of a batch (the parts differ by one example at most). */
    static int start(int batch, int parts, int p) {
        return (int) ((long) batch * p / parts);
    }

    /** Examples [from, to) of t. */
    static Tensor slice(Tensor t, int from, int to) {
        int[] shape = t.shape().clone();
        int per = shape[0] == 0 ? 0 : t.size() / shape[0];
        shape[0] = to - from;
        return switch (t) {
            case Tensor.F32 f -> new Tensor.F32(shape, Arrays.copyOfRange(f.data(), from * per, to * per));
            case Tensor.I64 l -> new Tensor.I64(shape, Arrays.copyOfRange(l.data(), from * per, to * per));
        };
    }

    /**
     * The parts' outputs joined along the first dimension, or null where they do not join as a
     * batch's would: part p's first dimension not its example count, other dimensions or element
     * types that differ.
     */
    static Tensor join(Tensor[] parts, int[] examples) {
        int[] rest = Arrays.copyOfRange(parts[0].shape(), Math.min(1, parts[0].rank()), parts[0].rank());
        int total = 0;
        for (int p = 0; p < parts.length; p++) {
            Tensor t = parts[p];
            if (t.rank() == 0 || t.shape()[0] != examples[p] || t.getClass() != parts[0].getClass()) return null;
            if (!Arrays.equals(rest, Arrays.copyOfRange(t.shape(), 1, t.rank()))) return null;
            total += examples[p];
        }
        int[] shape = new int[rest.length + 1];
        shape[0] = total;
        System.arraycopy(rest, 0, shape, 1, rest.length);
        int size = Math.multiplyExact(total, Arrays.stream(rest).reduce(1, Math::multiplyExact));
        boolean floats = parts[0] instanceof Tensor.F32;
        Object joined = floats ? new float[size] : new long[size];
        int at = 0;
        for (Tensor t : parts) {
            System.arraycopy(floats ? ((Tensor.F32) t).data() : ((Tensor.I64) t).data(), 0, joined, at, t.size());
            at += t.size();
        }
        return floats ? new Tensor.F32(shape, (float[]) joined) : new Tensor.I64(shape, (long[]) joined);
    }

    /** Whether two runs' outputs are the same bits (floats compared as bits: NaN equals NaN, −0 differs from +0). */
    static boolean sameBits(Tensor a, Tensor b) {
        if (!Arrays.equals(a.shape(), b.shape()) || a.getClass() != b.getClass()) return false;
        if (a instanceof Tensor.I64 l) return Arrays.equals(l.data(), ((Tensor.I64) b).data());
        float[] x = a.floats(), y = b.floats();
        for (int i = 0; i < x.length; i++) if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) return false;
        return true;
    }
}

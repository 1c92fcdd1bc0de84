package org.ternary4j.qat.graph;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import org.ternary4j.qat.EngineArrays;

/** Indexing ops: Gather (embedding look-ups and picks from shape vectors). */
final class IndexOps {
    private IndexOps() {}

    static void register(Map<String, Op> ops) {
        ops.put("Gather", Op.single(IndexOps::gather));
    }

    /**
     * out[i₀…, j…, k…] = data[i₀…, indices[j…], k…] along {@code axis}; negative indices count from
     * the end (ONNX), out-of-range ones are refused. Differentiable with respect to data.
     */
    private static NDArray gather(NodeCall c) {
        NDArray data = c.in(0);
        Shape s = data.getShape();
        int rank = s.dimension();
        if (rank == 0) throw c.fail("cannot gather from a scalar");
        int axis = c.axis(c.intAttr("axis", 0), rank);
        long dim = s.get(axis);
        NDArray indices = c.in(1);
        long[] idx = indices.toType(DataType.INT64, false).toLongArray();
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < -dim || idx[i] >= dim) throw c.fail("index " + idx[i] + " is out of range for a dimension of " + dim);
            if (idx[i] < 0) idx[i] += dim;
        }
        StringBuilder spec = new StringBuilder();
        for (int a = 0; a < axis; a++) spec.append(":, ");
        NDArray picked = data.get(new NDIndex(spec + "{}", EngineArrays.owned(c.manager().create(idx))));
        long[] out = new long[rank - 1 + indices.getShape().dimension()];
        int o = 0;
        for (int a = 0; a < axis; a++) out[o++] = s.get(a);
        for (long d : indices.getShape().getShape()) out[o++] = d;
        for (int a = axis + 1; a < rank; a++) out[o++] = s.get(a);
        return picked.reshape(new Shape(out));
    }
}

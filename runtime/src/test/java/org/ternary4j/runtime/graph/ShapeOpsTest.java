package org.ternary4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Transpose of float tensors (runs of the kept last axis, or strided rows) against a brute-force index map. */
class ShapeOpsTest {

    @ParameterizedTest(name = "shape {0}, perm {1}")
    @CsvSource({"1x7x3x5, 0x2x3x1", "1x7x3x5, 0x2x1x3", "2x3x4, 2x1x0", "6x5, 1x0", "2x1x3x4, 3x2x1x0", "4x1x6, 1x2x0"})
    void transposeMovesEveryElementWhereItsIndexSays(String shapeText, String permText) {
        int[] shape = dims(shapeText), perm = dims(permText);
        int r = shape.length, n = 1;
        for (int d : shape) n *= d;
        float[] x = new float[n];
        Random rnd = new Random(n);
        for (int i = 0; i < n; i++) x[i] = rnd.nextFloat();
        int[] out = new int[r], stride = new int[r];
        for (int d = 0; d < r; d++) out[d] = shape[perm[d]];
        for (int d = r - 1, s = 1; d >= 0; s *= shape[d], d--) stride[d] = s;
        float[] want = new float[n];
        int[] idx = new int[r];
        for (int o = 0; o < n; o++) {
            int from = 0;
            for (int d = 0; d < r; d++) from += idx[d] * stride[perm[d]];
            want[o] = x[from];
            for (int d = r - 1; d >= 0 && ++idx[d] == out[d]; d--) idx[d] = 0;
        }
        Tensor y = ShapeOps.transpose(new Tensor.F32(shape, x), perm);
        assertArrayEquals(out, y.shape());
        assertArrayEquals(want, y.floats());
    }

    private static int[] dims(String s) {
        return java.util.Arrays.stream(s.trim().split("x")).mapToInt(Integer::parseInt).toArray();
    }
}

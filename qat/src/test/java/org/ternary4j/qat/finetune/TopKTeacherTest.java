package org.ternary4j.qat.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The top-k teacher against a brute-force sort and a KL divergence written out in doubles. */
class TopKTeacherTest {
    private static final int CLASSES = 300, POSITIONS = 3, EXAMPLES = 4;

    @Test
    void keepsTheLargestClassesAndItsLossIsTheKlDivergenceToTheRenormalisedTopK() {
        Random r = new Random(5);
        float[] teacher = new float[EXAMPLES * POSITIONS * CLASSES];
        for (int i = 0; i < teacher.length; i++) teacher[i] = (float) (3 * r.nextGaussian());
        float[] student = new float[2 * POSITIONS * CLASSES];
        for (int i = 0; i < student.length; i++) student[i] = (float) (3 * r.nextGaussian());
        TopKTeacher k = TopKTeacher.of(CLASSES, POSITIONS, EXAMPLES);
        for (int e = 0; e < EXAMPLES; e++) k.put(e, teacher, e * POSITIONS * CLASSES);

        int[] top1 = k.top1();
        for (int row = 0; row < EXAMPLES * POSITIONS; row++) assertEquals(sorted(teacher, row)[0], top1[row]);

        int[] idx = {3, 1};
        double expected = 0;
        for (int i = 0; i < idx.length; i++) {
            for (int p = 0; p < POSITIONS; p++) {
                int row = idx[i] * POSITIONS + p, srow = i * POSITIONS + p;
                Integer[] order = sorted(teacher, row);
                double z = 0, zs = 0;
                for (int j = 0; j < TopKTeacher.K; j++) z += Math.exp(teacher[row * CLASSES + order[j]]);
                for (int c = 0; c < CLASSES; c++) zs += Math.exp(student[srow * CLASSES + c]);
                for (int j = 0; j < TopKTeacher.K; j++) {
                    double q = Math.exp(teacher[row * CLASSES + order[j]]) / z;
                    double logs = student[srow * CLASSES + order[j]] - Math.log(zs);
                    expected += q * (Math.log(q) - logs);
                }
            }
        }
        expected /= idx.length * POSITIONS;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray s = m.create(student, new Shape(2, POSITIONS, CLASSES));
            assertEquals(expected, k.loss(s, idx, m).getFloat(), 1e-4 * Math.max(1, expected));
        }
    }

    @Test
    void aStudentEqualToTheTeacherScoresTheMassOutsideTheTopK() {
        // One position whose top 8 hold all but a sliver: the loss is −log of the mass inside, near 0.
        float[] v = new float[CLASSES];
        java.util.Arrays.fill(v, -30f);
        for (int j = 0; j < TopKTeacher.K; j++) v[10 + 7 * j] = j;
        TopKTeacher k = TopKTeacher.of(CLASSES, 1, 1);
        k.put(0, v, 0);
        assertArrayEquals(new int[] {59}, k.top1());
        try (NDManager m = NDManager.newBaseManager()) {
            double loss = k.loss(m.create(v, new Shape(1, 1, CLASSES)), new int[] {0}, m).getFloat();
            assertEquals(0, loss, 1e-5);
        }
    }

    private static Integer[] sorted(float[] v, int row) {
        Integer[] order = new Integer[CLASSES];
        for (int c = 0; c < CLASSES; c++) order[c] = c;
        java.util.Arrays.sort(order, (a, b) -> Float.compare(v[row * CLASSES + b], v[row * CLASSES + a]));
        return order;
    }
}

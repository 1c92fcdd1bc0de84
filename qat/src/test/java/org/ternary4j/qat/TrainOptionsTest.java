package org.ternary4j.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TrainOptionsTest {

    @Test
    void defaults() {
        TrainOptions fp = TrainOptions.builder(Architecture.MLP).build();
        assertEquals(1e-3f, fp.learningRate());
        assertEquals(1, fp.epochs());
        assertEquals(1, fp.seed());
        assertEquals(128, fp.batchSize());
        assertEquals(0, fp.trainLimit());
        assertEquals(0, fp.testLimit());
        // Null means "the default", as when the flag is not given.
        assertEquals(fp, TrainOptions.builder(Architecture.MLP).learningRate(null).build());
    }

    @Test
    void toBuilderKeepsEveryValueAndChangesOnlyWhatIsSet() {
        TrainOptions o = TrainOptions.builder(Architecture.VGG).epochs(3).seed(9).learningRate(0.01f).batchSize(32).trainLimit(100).testLimit(50).build();
        assertEquals(o, o.toBuilder().build());
        TrainOptions other = o.toBuilder().seed(10).build();
        assertEquals(10, other.seed());
        assertEquals(o, other.toBuilder().seed(9).build());
    }

    @Test
    void badValuesAreOneLineErrorsWithoutFlagNames() {
        String m = assertThrows(IllegalArgumentException.class, () -> TrainOptions.builder(Architecture.MLP).epochs(0).build()).getMessage();
        assertEquals("epochs must be ≥ 1, got 0", m);
        m = assertThrows(IllegalArgumentException.class, () -> TrainOptions.builder(Architecture.MLP).learningRate(Float.NaN).build()).getMessage();
        assertEquals("learning rate must be a positive number, got NaN", m);
        m = assertThrows(IllegalArgumentException.class, () -> TrainOptions.builder(Architecture.MLP).batchSize(0).build()).getMessage();
        assertEquals("batch size must be ≥ 1, got 0", m);
    }
}

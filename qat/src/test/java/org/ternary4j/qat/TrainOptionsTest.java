package org.ternary4j.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.grouping.Grouping;

class TrainOptionsTest {

    @Test
    void defaultsDependOnTheMethod() {
        TrainOptions fp = TrainOptions.builder(Architecture.MLP, Method.FP).build();
        assertEquals(1e-3f, fp.learningRate());
        assertEquals(0, fp.bnRecalibration());
        assertEquals(new Grouping.WholeTensor(), fp.grouping());
        assertEquals(1, fp.epochs());
        assertEquals(1, fp.seed());
        assertEquals(128, fp.batchSize());
        assertNull(fp.init());
        TrainOptions syq = TrainOptions.builder(Architecture.LENET5, Method.SYQ).build();
        assertEquals(2e-4f, syq.learningRate());
        assertEquals(TrainOptions.DEFAULT_BN_RECALIBRATION, syq.bnRecalibration());
        assertEquals(new Grouping.SyqPixel(), syq.grouping());
        // Null means "the method's default", as when a flag is not given.
        assertEquals(syq, TrainOptions.builder(Architecture.LENET5, Method.SYQ).grouping(null).learningRate(null).bnRecalibration(null).build());
    }

    @Test
    void toBuilderKeepsEveryValueAndChangesOnlyWhatIsSet() {
        TrainOptions o = TrainOptions.builder(Architecture.VGG, Method.TTQ).grouping(new Grouping.Row()).allLayers(true).epochs(3).seed(9)
                .learningRate(0.01f).batchSize(32).init(Path.of("fp.onnx")).trainLimit(100).testLimit(50).bnRecalibration(7).build();
        assertEquals(o, o.toBuilder().build());
        TrainOptions other = o.toBuilder().seed(10).build();
        assertEquals(10, other.seed());
        assertEquals(o, other.toBuilder().seed(9).build());
    }

    @Test
    void badValuesAreOneLineErrorsWithoutFlagNames() {
        String m = assertThrows(IllegalArgumentException.class, () -> TrainOptions.builder(Architecture.MLP, Method.FP).epochs(0).build()).getMessage();
        assertEquals("epochs must be ≥ 1, got 0", m);
        m = assertThrows(IllegalArgumentException.class, () -> TrainOptions.builder(Architecture.MLP, Method.FP).learningRate(Float.NaN).build()).getMessage();
        assertEquals("learning rate must be a positive number, got NaN", m);
        m = assertThrows(IllegalArgumentException.class, () -> TrainOptions.builder(Architecture.MLP, Method.TGA).grouping(new Grouping.Row()).build()).getMessage();
        assertEquals("method tga works per layer: grouping must be 'tensor'", m);
    }
}

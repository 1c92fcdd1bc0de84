package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StepsTest {
    @Test
    void allIsTheDocumentedDefault() {
        assertEquals("weighted,refit,gptq:3,bias,target,descent", Steps.ALL.spec());
        assertEquals("none", Steps.NONE.spec());
        assertEquals(Steps.ALL, Steps.parse("all"));
    }

    @Test
    void aListReadsBackAsItsSpecInAFixedOrder() {
        Steps s = Steps.parse(" descent, gptq:2 ,weighted,variance");
        assertEquals("weighted,gptq:2,variance,descent", s.spec());
        assertEquals(s, Steps.parse(s.spec()));
        assertTrue(s.weighted() && s.variance() && s.descent());
        assertFalse(s.refit() || s.bias() || s.fpTarget());
        assertEquals(3, Steps.parse("gptq").gptqRounds());
        Steps act = Steps.parse("gptq,act-order");
        assertTrue(act.actOrder() && !Steps.ALL.actOrder());
        assertEquals("gptq:3,act-order", act.spec());
        Steps scale = Steps.parse("scale,weighted");
        assertTrue(scale.scale() && !Steps.ALL.scale());
        assertEquals("weighted,scale", scale.spec());
        Steps rotate = Steps.parse("rotate,scale,weighted");
        assertTrue(rotate.rotate() && !Steps.ALL.rotate());
        assertEquals("weighted,scale,rotate", rotate.spec());
        assertEquals(rotate, Steps.parse(rotate.spec()));
    }

    @Test
    void withoutSwitchesStepsOffAndKeepsTheRest() {
        Steps local = Steps.ALL.without(Steps.Step.BIAS, Steps.Step.TARGET, Steps.Step.VARIANCE);
        assertEquals("weighted,refit,gptq:3,descent", local.spec());
        assertEquals("weighted,refit,gptq:3,bias,target,descent", Steps.ALL.spec(), "ALL itself is unchanged");
    }

    @Test
    void unknownStepsAndBadRoundsAreRefused() {
        assertEquals("calibration step 'fast': one of weighted, refit, gptq[:R], bias, target, variance, descent, act-order, scale, rotate (or all, none)",
                assertThrows(IllegalArgumentException.class, () -> Steps.parse("fast")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Steps.parse("gptq:x"));
        assertThrows(IllegalArgumentException.class, () -> Steps.parse("gptq:-1"));
    }
}

package org.ternary4j.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.TernaryMethod;

class MethodTest {

    @Test
    void everyRegisteredTernaryTrainingMethodHasAQuantizerAndFpHasNone() {
        List<String> bound = new ArrayList<>();
        for (TernaryMethod t : TernaryMethod.values()) {
            if (!t.existsIn(TernaryMethod.Stage.TRAINING)) continue;
            Method m = Method.parse(t.cliName());
            assertEquals(t.cliName(), m.cliName());
            if (m == Method.FP) {
                assertThrows(IllegalArgumentException.class, () -> m.quantizer(Grouping.parse(m.defaultGrouping())));
            } else {
                WeightQuantizer q = m.quantizer(Grouping.parse(m.defaultGrouping()));
                assertEquals(Grouping.parse(m.defaultGrouping()), q.grouping(), t.cliName());
            }
            bound.add(m.cliName());
        }
        assertEquals(Method.values().length, bound.size());
    }

    @Test
    void namesAndMessagesComeFromTheRegistry() {
        String m = assertThrows(IllegalArgumentException.class, () -> Method.parse("absmean")).getMessage();
        assertTrue(m.startsWith("method 'absmean': unknown method for training"), m);
        assertTrue(m.endsWith(TernaryMethod.names(TernaryMethod.Stage.TRAINING)), m);
    }
}

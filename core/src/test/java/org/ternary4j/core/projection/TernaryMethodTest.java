package org.ternary4j.core.projection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.projection.TernaryMethod.Stage;

class TernaryMethodTest {

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void stagesListTheMethodsThatExistThere() {
        assertEquals("tnt, tnt-tuned, two-scale, twn, threshold, absmean, bitnet, sparsity, tga", TernaryMethod.names(Stage.POST_TRAINING));
        assertEquals("fp, tnt, two-scale, twn, ttq, syq, tga", TernaryMethod.names(Stage.TRAINING));
    }

    @Test
    void everyPostTrainingMethodParsesFromItsOwnName() {
        for (TernaryMethod m : TernaryMethod.values()) {
            if (!m.existsIn(Stage.POST_TRAINING)) continue;
            Projection p = Projections.parse(m.cliName());
            // The projection's own spelling parses back to an equal projection.
            assertEquals(p, Projections.parse(p.spec()), m.cliName());
        }
    }

    @Test
    void helpHasOneAlignedLinePerMethodOfTheStage() {
        List<String> ptq = TernaryMethod.help(Stage.POST_TRAINING);
        assertEquals(Projections.HELP, ptq);
        assertEquals(TernaryMethod.names(Stage.POST_TRAINING).split(", ").length, ptq.size());
        assertTrue(ptq.contains("twn[:f]        TWN, threshold f·mean|w| (f = 0.7)"), ptq.toString());
        List<String> training = TernaryMethod.help(Stage.TRAINING);
        assertEquals(7, training.size());
        for (String line : training) assertEquals(' ', line.charAt(14), line);
    }

    @Test
    void bitnetIsAbsmean() {
        assertEquals(new Absmean(), Projections.parse("bitnet"));
        float[] w = {0.9f, -0.5f, 0.1f, -0.05f, 0.4f};
        byte[] a = new byte[5], b = new byte[5];
        assertEquals(Projections.parse("absmean").project(w, 5, a), Projections.parse("bitnet").project(w, 5, b));
        assertEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b));
    }

    @Test
    void unknownNamesListTheStagesMethods() {
        assertEquals("method 'xnor': unknown method; one of: " + TernaryMethod.names(Stage.POST_TRAINING), message(() -> Projections.parse("xnor")));
        assertEquals("method 'xnor': unknown method; one of: " + TernaryMethod.names(Stage.TRAINING), message(() -> TernaryMethod.forTraining("xnor")));
        assertEquals("method 'ttq': unknown method for post-training (ttq exists only in training); one of: "
                + TernaryMethod.names(Stage.POST_TRAINING), message(() -> Projections.parse("ttq")));
        assertEquals("method 'sparsity': unknown method for training (sparsity exists only in post-training); one of: "
                + TernaryMethod.names(Stage.TRAINING), message(() -> TernaryMethod.forTraining("sparsity")));
    }

    @Test
    void parametersAreCheckedPerMethod() {
        assertEquals("method 'twn:0.75': takes no parameter in training", message(() -> TernaryMethod.forTraining("twn:0.75")));
        assertEquals("method 'tnt:x': takes ':norm' or ':ls'", message(() -> Projections.parse("tnt:x")));
        assertEquals("method 'two-scale:1': takes no parameter", message(() -> Projections.parse("two-scale:1")));
        assertEquals("method 'twn:x': 'x' is not a number", message(() -> Projections.parse("twn:x")));
        assertEquals(new Tnt(false), Projections.parse("tnt:ls"));
        assertEquals(new Tnt(true), Projections.parse(" tnt:norm "));
        assertEquals(TernaryMethod.TGA, TernaryMethod.forTraining("tga"));
    }
}

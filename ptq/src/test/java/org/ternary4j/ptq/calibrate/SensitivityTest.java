package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.onnx.OnnxModel;

/** Sensitivities measured from each layer's cut on equal those of whole-model runs with the one weight changed (ONNX Runtime as oracle). */
class SensitivityTest {
    @TempDir
    Path dir;

    @Test
    void fromTheCutOnEqualsTheWholeModel() throws IOException {
        Path file = CalibratedTernarizerTest.network(dir.resolve("net.onnx"));
        CalibrationInputs data = CalibrationInputs.load(CalibratedTernarizerTest.calibrationFile(dir.resolve("c.npy"), 300).toString());
        List<String> names = List.of("W1", "W2", "W3");
        try (OnnxModel m = OnnxModel.read(file)) {
            Stretches plan = Stretches.plan(m.graph(), List.of(0, 3, 5), Set.of("g2"));
            Random rnd = new Random(5);
            List<float[]> changed = new ArrayList<>();
            for (String n : names) {
                float[] w = m.graph().initializers().get(n).floats();
                for (int i = 0; i < w.length; i++) w[i] += (float) (0.3 * rnd.nextGaussian());
                changed.add(w);
            }
            List<Double> got = new Sensitivity(m, plan, List.of("y"), "net").measure(names, changed, data.inputs());
            float[] y = AllValues.of(m, data.inputs(), "y");
            double norm = 0;
            for (float v : y) norm += (double) v * v;
            for (int k = 0; k < names.size(); k++) {
                try (OnnxModel c = m.withFloats(Map.of(names.get(k), changed.get(k)))) {
                    float[] yc = AllValues.of(c, data.inputs(), "y");
                    double diff = 0;
                    for (int i = 0; i < y.length; i++) diff += ((double) yc[i] - y[i]) * ((double) yc[i] - y[i]);
                    assertTrue(diff > 0);
                    assertEquals(diff / norm, got.get(k), 1e-5 * diff / norm, names.get(k));
                }
            }
        }
    }
}

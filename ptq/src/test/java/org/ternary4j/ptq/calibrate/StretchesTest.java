package org.ternary4j.ptq.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.onnx.OnnxModel;

/** Streaming the calibration inputs stretch by stretch gives every cut the values the whole model computes there (ONNX Runtime as oracle). */
class StretchesTest {
    @TempDir
    Path dir;

    @Test
    void cutsHoldWhatLaterNodesRead() throws IOException {
        try (OnnxModel m = OnnxModel.read(CalibratedTernarizerTest.network(dir.resolve("net.onnx")))) {
            Stretches plan = Stretches.plan(m.graph(), List.of(0, 3, 5), Set.of("g2"));
            assertEquals(List.of(Set.of("x"), Set.of("f1"), Set.of("r2")), plan.frontiers());
            assertEquals(List.of("f1"), plan.computed(0));
            assertEquals(List.of("r2", "g2"), plan.outputs(1));
            assertEquals(List.of(), plan.outputs(2));
        }
    }

    @Test
    void streamedValuesEqualTheWholeModelsAtEveryCut() throws IOException {
        Path file = CalibratedTernarizerTest.network(dir.resolve("net.onnx"));
        CalibrationInputs data = CalibrationInputs.load(CalibratedTernarizerTest.calibrationFile(dir.resolve("c.npy"), 300).toString());
        try (OnnxModel m = OnnxModel.read(file)) {
            Stretches plan = Stretches.plan(m.graph(), List.of(0, 3, 5), Set.of());
            Cut v = Cut.first(m, Set.of("x"), data.inputs(), "net");
            try {
                assertEquals(5, v.parts()); // 300 examples: batches of 256 and 44, in parts of 64
                for (int k = 0; k < 2; k++) {
                    Cut next;
                    try (StretchRun run = StretchRun.open(m, v.types(), plan.outputs(k), Map.of(), "net")) {
                        next = v.step(run, plan.frontiers().get(k + 1), null);
                    }
                    v.close();
                    v = next;
                    String name = plan.frontiers().get(k + 1).iterator().next();
                    float[] streamed = AllValues.of(v, name), whole = AllValues.of(m, data.inputs(), name);
                    assertArrayEquals(whole, streamed, 1e-6f, name);
                }
                assertEquals(Examples.range(256, 44), v.part(4));
            } finally {
                v.close();
            }
        }
    }
}

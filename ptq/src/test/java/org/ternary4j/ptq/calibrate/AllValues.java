package org.ternary4j.ptq.calibrate;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.onnx.OnnxModel;

/** A value's floats over every example, batch after batch: as a cut holds them, or from running the whole model. */
final class AllValues {
    private AllValues() {}

    static float[] of(Cut cut, String name) throws IOException {
        List<float[]> got = new ArrayList<>();
        cut.forEach(Set.of(name), p -> got.add(StretchRun.floats(p.get(name), name, "test").values()));
        return concat(got);
    }

    /** Runs {@code m} in ONNX Runtime with {@code name} as its output. */
    static float[] of(OnnxModel m, Dataset data, String name) throws IOException {
        List<float[]> got = new ArrayList<>();
        try (IntermediateRunner r = IntermediateRunner.open(m.withOutputs(List.of(name)).toBytes(), "test")) {
            r.run(data, Set.of(name), batch -> got.add(batch.get(name).values()));
        }
        return concat(got);
    }

    private static float[] concat(List<float[]> parts) {
        float[] out = new float[parts.stream().mapToInt(f -> f.length).sum()];
        int at = 0;
        for (float[] f : parts) {
            System.arraycopy(f, 0, out, at, f.length);
            at += f.length;
        }
        return out;
    }
}

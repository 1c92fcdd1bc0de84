package org.ternary4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.SafetensorsWriter;
import org.ternary4j.formats.safetensors.TensorSpec;

/** Small safetensors files of random tensors for the CLI tests. */
final class TestModels {
    private TestModels() {}

    /** Gaussian values, exactly representable in {@code dtype}, so the input file holds exactly these floats. */
    static float[] gaussian(int n, DType dtype, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            double v = rnd.nextGaussian() * 0.05;
            if (rnd.nextInt(10) == 0) v *= 6; // a few outliers make the support search less trivial
            w[i] = dtype.isFloat() ? org.ternary4j.formats.safetensors.HalfFloats.roundTo(dtype, (float) v) : (float) v;
        }
        return w;
    }

    /** Writes float tensors (name → values, with the spec's dtype) and raw tensors in spec order. */
    static Path write(Path file, List<TensorSpec> specs, Map<String, float[]> floats, Map<String, byte[]> raw, Map<String, String> metadata) throws IOException {
        try (SafetensorsWriter w = SafetensorsWriter.open(file, specs, metadata)) {
            for (TensorSpec s : specs) {
                if (floats.containsKey(s.name())) w.writeFloats(s.name(), floats.get(s.name()));
                else w.writeBytes(s.name(), raw.get(s.name()));
            }
            w.commit();
        }
        return file;
    }

    /** A small "model": two F32 weight matrices, a conv kernel, an F16 and a BF16 matrix, a bias and an int tensor. */
    record Model(Path file, List<TensorSpec> specs, Map<String, float[]> floats, Map<String, byte[]> raw) {}

    static Model standard(Path file) throws IOException {
        List<TensorSpec> specs = List.of(
                TensorSpec.of("fc1.weight", DType.F32, 13, 37),
                TensorSpec.of("fc1.bias", DType.F32, 13),
                TensorSpec.of("conv.weight", DType.F32, 6, 3, 3, 3),
                TensorSpec.of("half.weight", DType.F16, 5, 9),
                TensorSpec.of("brain.weight", DType.BF16, 4, 11),
                TensorSpec.of("step", DType.I64, 1),
                TensorSpec.of("fc2.weight", DType.F32, 7, 1));
        Map<String, float[]> floats = new LinkedHashMap<>();
        long seed = 10;
        for (TensorSpec s : specs) {
            if (s.dtype().isFloat()) floats.put(s.name(), gaussian((int) s.elements(), s.dtype(), seed++));
        }
        Map<String, byte[]> raw = Map.of("step", new byte[] {7, 0, 0, 0, 0, 0, 0, 0});
        write(file, specs, floats, raw, Map.of("format", "pt"));
        return new Model(file, specs, floats, raw);
    }
}

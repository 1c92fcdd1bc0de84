package org.ternary4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.SafetensorsWriter;
import org.ternary4j.formats.safetensors.TensorSpec;

/**
 * The launcher's training run for its start-up cache (a dynamic CDS archive, {@code
 * -XX:ArchiveClassesAtExit}): a small safetensors {@code quantize} of every float type, so the
 * archive holds the classes, lambdas and method-handle forms of the common short job. {@code java … AotTraining DIR}; DIR is a scratch folder,
 * emptied afterwards.
 */
final class AotTraining {
    private AotTraining() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) throw new IllegalArgumentException("usage: AotTraining SCRATCH_DIR");
        // Exits as Main does: System.exit starts the JDK's logging (it may log the exit), whose classes the cache should hold too.
        System.exit(run(Path.of(args[0])));
    }

    /** Writes the input under {@code scratch}, quantizes it, deletes what it wrote; returns quantize's exit code. */
    static int run(Path scratch) throws IOException {
        Path dir = Files.createTempDirectory(scratch, "t4j-aot-");
        try {
            Path in = dir.resolve("in.safetensors");
            write(in);
            return Main.run("quantize", in.toString(), "-o", dir.resolve("out.safetensors").toString(), "--packed", dir.resolve("packed.safetensors").toString(),
                    "--report", dir.resolve("report.json").toString(), "--method", "tnt", "--grouping", "row");
        } finally {
            StagedOutputs.deleteTree(dir);
        }
    }

    /** Rows of 4096 (as in LLM checkpoints) in F32, BF16 and F16, and a bias: about 6 MB. */
    private static void write(Path file) throws IOException {
        int rows = 256, cols = 4096;
        List<TensorSpec> specs = new ArrayList<>();
        for (DType t : List.of(DType.F32, DType.BF16, DType.F16)) specs.add(TensorSpec.of("layers." + t + ".weight", t, rows, cols));
        specs.add(TensorSpec.of("layers.bias", DType.F32, rows));
        SplittableRandom rnd = new SplittableRandom(1);
        try (SafetensorsWriter out = SafetensorsWriter.open(file, specs, Map.of())) {
            for (TensorSpec s : specs) {
                float[] w = new float[(int) s.elements()];
                for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * 0.02);
                out.writeFloats(s.name(), w);
            }
            out.commit();
        }
    }
}

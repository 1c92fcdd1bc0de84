package org.ternary4j.qat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.ternary4j.formats.data.DataSources;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.data.NdArray;

/**
 * Fashion-MNIST from its IDX files (gzipped or not). Pixels become x/255 in [0, 1], no
 * normalisation, laid out NCHW [N, 1, 28, 28]: the convention every ternary4j model and the
 * evaluator share, so an exported model can be checked on the same numbers.
 */
public final class FashionMnist {
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final int SIDE = 28;
    public static final int PIXELS = SIDE * SIDE;
    public static final int CLASSES = 10;

    /** {@code count} images, {@code pixels[i·784 …]} is image i, {@code labels[i]} its class. */
    public record Split(float[] pixels, int[] labels) {
        public int count() {
            return labels.length;
        }

        /** The first {@code n} images (all of them when n ≥ count). */
        public Split first(int n) {
            int m = Math.min(n, count());
            float[] p = new float[m * PIXELS];
            System.arraycopy(pixels, 0, p, 0, p.length);
            int[] l = new int[m];
            System.arraycopy(labels, 0, l, 0, m);
            return new Split(p, l);
        }
    }

    private FashionMnist() {}

    /** {@code name} is "train" or "t10k"; read with the evaluator's IDX reader, so both see the same numbers. */
    public static Split load(Path dir, String name) throws IOException {
        if (!Files.isDirectory(dir)) throw new IOException(dir + ": no such folder (Debian: apt-get install dataset-fashion-mnist)");
        Dataset d = DataSources.idxFolder(dir, name);
        NdArray x = d.inputs().getFirst().array();
        int[] shape = x.shape();
        if (shape.length != 4) throw new IOException(d.source() + ": images have shape " + Arrays.toString(shape) + ", expected N×28×28");
        if (shape[2] != SIDE || shape[3] != SIDE) throw new IOException(d.source() + ": images are " + shape[2] + "×" + shape[3] + ", expected 28×28");
        int[] labels = d.labels();
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] >= CLASSES) throw new IOException(d.source() + ": label " + labels[i] + " at index " + i + " is not a class 0–9");
        }
        return new Split(x.data(), labels);
    }
}

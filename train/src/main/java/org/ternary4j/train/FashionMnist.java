package org.ternary4j.train;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

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

    /** {@code name} is "train" or "t10k". */
    public static Split load(Path dir, String name) throws IOException {
        float[] pixels = readImages(file(dir, name + "-images-idx3-ubyte"));
        int[] labels = readLabels(file(dir, name + "-labels-idx1-ubyte"));
        if (pixels.length != labels.length * PIXELS) {
            throw new IOException(dir + ": " + name + " has " + pixels.length / PIXELS + " images but " + labels.length + " labels");
        }
        return new Split(pixels, labels);
    }

    private static Path file(Path dir, String base) throws IOException {
        for (String ext : new String[] {".gz", ""}) {
            Path p = dir.resolve(base + ext);
            if (Files.isRegularFile(p)) return p;
        }
        throw new IOException(dir.resolve(base + ".gz") + ": no such file (Debian: apt-get install dataset-fashion-mnist)");
    }

    static float[] readImages(Path p) throws IOException {
        try (DataInputStream in = open(p)) {
            int n = header(in, p, 0x803, 3);
            int rows = in.readInt(), cols = in.readInt();
            if (rows != SIDE || cols != SIDE) throw new IOException(p + ": images are " + rows + "×" + cols + ", expected 28×28");
            byte[] raw = new byte[n * PIXELS];
            in.readFully(raw);
            float[] out = new float[raw.length];
            for (int i = 0; i < raw.length; i++) out[i] = (raw[i] & 0xff) / 255f;
            return out;
        } catch (EOFException e) {
            throw new IOException(p + ": truncated IDX file", e);
        }
    }

    static int[] readLabels(Path p) throws IOException {
        try (DataInputStream in = open(p)) {
            int n = header(in, p, 0x801, 1);
            byte[] raw = new byte[n];
            in.readFully(raw);
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                out[i] = raw[i] & 0xff;
                if (out[i] >= CLASSES) throw new IOException(p + ": label " + out[i] + " at index " + i + " is not a class 0–9");
            }
            return out;
        } catch (EOFException e) {
            throw new IOException(p + ": truncated IDX file", e);
        }
    }

    private static int header(DataInputStream in, Path p, int magic, int dims) throws IOException {
        int m = in.readInt();
        if (m != magic) throw new IOException(p + ": not an IDX file with " + dims + " dimension(s) of unsigned bytes (magic 0x" + Integer.toHexString(m) + ")");
        int n = in.readInt();
        if (n < 0) throw new IOException(p + ": negative item count " + n);
        return n;
    }

    private static DataInputStream open(Path p) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(p), 1 << 16);
        return new DataInputStream(p.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw);
    }
}

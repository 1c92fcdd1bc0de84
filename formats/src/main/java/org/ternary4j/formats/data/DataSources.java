package org.ternary4j.formats.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns a {@code --data} argument into a {@link Dataset}.
 * <ul>
 * <li>{@code fashion-mnist} (the 10,000 test images) or {@code fashion-mnist:train}: the IDX files
 *     of Debian's dataset-fashion-mnist package in {@value #FASHION_MNIST}.</li>
 * <li>a folder holding {@code t10k-images-idx3-ubyte[.gz]} and {@code t10k-labels-idx1-ubyte[.gz]}
 *     (MNIST, Fashion-MNIST, or anything in their layout).</li>
 * <li>a file, recognised by its content: IDX, .npy, or .npz. An .npz holds inputs {@code x} and
 *     optional labels {@code y} (or {@code labels}); without {@code x}, every other array is an
 *     input named after the model input it feeds.</li>
 * </ul>
 * IDX byte images become floats in [0, 1] (x/255, no mean/std normalisation) shaped NCHW
 * [N, 1, H, W], the convention the training code uses; the evaluator reshapes them to the model's
 * declared input (e.g. [N, 784] for an MLP). NPY/NPZ values are used as stored, without scaling.
 */
public final class DataSources {
    public static final String FASHION_MNIST = "/usr/share/datasets/fashion-mnist";

    private DataSources() {}

    /** Loads a data set; {@code labels} (an .npy or IDX file) may be null. */
    public static Dataset load(String spec, Path labels) throws IOException {
        Dataset data;
        if (spec.equals("fashion-mnist") || spec.equals("fashion-mnist:test") || spec.equals("fashion-mnist:train")) {
            data = fashionMnist(spec.endsWith(":train") ? "train" : "t10k");
        } else {
            Path p = Path.of(spec);
            if (Files.isDirectory(p)) data = idxFolder(p, "t10k");
            else if (!Files.exists(p)) throw new IOException(p + ": no such file (expected fashion-mnist, an IDX folder, or an .npz/.npy/IDX file)");
            else if (!Files.isRegularFile(p)) throw new IOException(p + ": not a regular file");   // a FIFO would block forever
            else data = file(p);
        }
        if (labels != null) {
            if (data.hasLabels()) throw new IOException(labels + ": labels given twice (" + data.source() + " already has labels)");
            int[] y = readLabels(labels);
            if (y.length != data.count()) {
                throw new IOException(labels + ": " + y.length + " labels for " + data.count() + " examples in " + data.source());
            }
            data = new Dataset(data.source(), data.inputs(), y);
        }
        return checked(data);
    }

    /**
     * What every command requires of a data set, whichever reads it: at least one example and
     * finite inputs (a NaN or infinity gives garbage outputs that look like results).
     */
    static Dataset checked(Dataset data) throws IOException {
        if (data.count() == 0) throw new IOException(data.source() + ": no examples");
        for (Dataset.NamedArray in : data.inputs()) {
            float[] v = in.array().data();
            for (int i = 0; i < v.length; i++) {
                if (!Float.isFinite(v[i])) {
                    String array = in.name() == null ? "" : " array '" + in.name() + "'";
                    throw new IOException(data.source() + ":" + array + " value " + v[i] + " at example " + i / Math.max(1, in.array().exampleSize())
                            + " is not finite");
                }
            }
        }
        return data;
    }

    /**
     * Fashion-MNIST's {@code t10k} or {@code train} split: the Debian package's full set when it is
     * installed, else the slice this jar ships (1000 test and 1024 training images), whose source
     * says so, so that a fresh machine can run the demo.
     */
    public static Dataset fashionMnist(String split) throws IOException {
        return fashionMnist(Path.of(FASHION_MNIST), split);
    }

    static Dataset fashionMnist(Path installed, String split) throws IOException {
        if (!split.equals("t10k") && !split.equals("train")) throw new IllegalArgumentException("split must be t10k or train, got " + split);
        if (Files.isDirectory(installed)) return idxFolder(installed, split);
        String where = "bundled Fashion-MNIST slice (" + split + "; apt-get install dataset-fashion-mnist for the full set)";
        NdArray x = scaled(IdxReader.parse(resource(split + "-images-idx3-ubyte.gz"), where));
        int[] y = labels(IdxReader.parse(resource(split + "-labels-idx1-ubyte.gz"), where), Path.of(split + "-labels-idx1-ubyte.gz"));
        return Dataset.of(where, x, y);
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = DataSources.class.getResourceAsStream("fashion-mnist-slice/" + name)) {
            if (in == null) throw new IOException("fashion-mnist: not installed and the bundled slice is missing from the jar (" + name + ")");
            return FileBytes.gunzipped(in.readAllBytes(), FileBytes.MAX_BYTES, name);
        }
    }

    /** The IDX pair {@code PREFIX-images-idx3-ubyte[.gz]} and {@code PREFIX-labels-idx1-ubyte[.gz]}. */
    public static Dataset idxFolder(Path dir, String prefix) throws IOException {
        Path images = existing(dir, prefix + "-images-idx3-ubyte");
        Path labelFile = existing(dir, prefix + "-labels-idx1-ubyte");
        NdArray x = idxImages(images);
        int[] y = labels(IdxReader.read(labelFile), labelFile);
        if (y.length != x.count()) throw new IOException(labelFile + ": " + y.length + " labels for " + x.count() + " images in " + images);
        return Dataset.of(dir.resolve(prefix + "-*").toString(), x, y);
    }

    private static Path existing(Path dir, String base) throws IOException {
        for (String name : List.of(base + ".gz", base)) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) return p;
        }
        throw new IOException(dir + ": missing " + base + "[.gz]");
    }

    /** IDX images scaled to [0, 1] and given a channel axis: [N, H, W] → [N, 1, H, W]. */
    static NdArray idxImages(Path file) throws IOException {
        return scaled(IdxReader.read(file));
    }

    private static NdArray scaled(NdArray raw) {
        float[] v = raw.data();
        for (int i = 0; i < v.length; i++) v[i] /= 255f;
        int[] s = raw.shape();
        if (s.length == 3) s = new int[] {s[0], 1, s[1], s[2]};
        return new NdArray(s, v);
    }

    private static Dataset file(Path p) throws IOException {
        byte[] head = new byte[6];
        int n;
        try (InputStream in = Files.newInputStream(p)) {
            n = in.readNBytes(head, 0, head.length);
        }
        if (n >= 2 && head[0] == 'P' && head[1] == 'K') return npz(p);
        if (n >= 1 && (head[0] & 0xff) == 0x93) return Dataset.of(p.toString(), NpyReader.read(p), null);
        return Dataset.of(p.toString(), idxImages(p), null);
    }

    private static Dataset npz(Path p) throws IOException {
        Map<String, NpyReader.Npy> arrays = NpzReader.readAll(p);
        NpyReader.Npy y = arrays.containsKey("y") ? arrays.get("y") : arrays.get("labels");
        if (arrays.containsKey("y") && arrays.containsKey("labels")) throw new IOException(p + ": has both 'y' and 'labels'; keep one");
        List<Dataset.NamedArray> inputs = new ArrayList<>();
        NpyReader.Npy x = arrays.get("x");
        for (var e : arrays.entrySet()) {
            String name = e.getKey();
            if (name.equals("y") || name.equals("labels") || name.equals("x")) continue;
            if (x != null) throw new IOException(p + ": has 'x' and also '" + name + "'; use 'x' alone or name every array after a model input");
            inputs.add(new Dataset.NamedArray(name, e.getValue().toFloats()));
        }
        if (x != null) inputs.add(new Dataset.NamedArray(null, x.toFloats()));
        if (inputs.isEmpty()) throw new IOException(p + ": no input arrays (expected 'x' or arrays named after the model inputs)");
        try {
            return new Dataset(p.toString(), inputs, y == null ? null : y.toLabels());
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
    }

    /** Labels from an .npy or IDX file (recognised by content). */
    public static int[] readLabels(Path file) throws IOException {
        byte[] b = FileBytes.read(file);
        if (b.length > 0 && (b[0] & 0xff) == 0x93) return NpyReader.parse(b, file.toString()).toLabels();
        return labels(IdxReader.read(file), file);
    }

    private static int[] labels(NdArray a, Path file) throws IOException {
        if (a.shape().length != 1) throw new IOException(file + ": labels must be a vector, got " + a);
        int[] y = new int[a.data().length];
        for (int i = 0; i < y.length; i++) {
            float v = a.data()[i];
            if (v < 0 || v != Math.rint(v)) throw new IOException(file + ": label " + v + " at index " + i + " is not a class index");
            y[i] = (int) v;
        }
        return y;
    }
}

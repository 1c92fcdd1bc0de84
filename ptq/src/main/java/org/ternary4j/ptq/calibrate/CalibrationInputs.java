package org.ternary4j.ptq.calibrate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.ternary4j.formats.data.DataSources;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.data.NdArray;

/**
 * The inputs calibration feeds through the model, never from a test split.
 * <ul>
 * <li>{@code fashion-mnist} or {@code fashion-mnist:N}: N images (default {@value #DEFAULT_COUNT})
 *     of the 60,000-image <b>training</b> split, evenly spaced (indices ⌊i·60000/N⌋), so every
 *     class is represented and the choice is the same on every run. {@code eval --data
 *     fashion-mnist} reports on the disjoint t10k test split.</li>
 * <li>an .npy file or an .npz with {@code x} for a one-input model, or an .npz with one array per
 *     model input, named after it (optionally {@code FILE:N}): the first N examples, values as
 *     stored; each array is fed in its input's element type (int64 token ids as int64).</li>
 * </ul>
 * Which array feeds which input, and whether it fits, is checked against the model when
 * calibration starts, before anything is written.
 * Refused: {@code fashion-mnist:test}/{@code :t10k}, folders (an IDX folder means its t10k files
 * to {@code eval}), and any file named t10k* or test* — calibrating on the data that
 * accuracy is reported on would make the reported numbers meaningless.
 */
public record CalibrationInputs(String source, Dataset inputs) {
    public static final int DEFAULT_COUNT = 4096; // 256 measured 2.9 points worse on LeNet-5 (CALIBRATION.md)

    public CalibrationInputs {
        if (inputs.count() < 1) throw new IllegalArgumentException(inputs.source() + ": no calibration examples");
        for (Dataset.NamedArray a : inputs.inputs()) {
            for (float v : a.array().data()) {
                if (!Float.isFinite(v)) throw new IllegalArgumentException(inputs.source() + ": array '" + (a.name() == null ? "x" : a.name()) + "' contains " + v);
            }
        }
    }

    public static CalibrationInputs load(String spec) throws IOException {
        String s = spec.trim();
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.equals("fashion-mnist") || lower.startsWith("fashion-mnist:")) {
            String arg = lower.equals("fashion-mnist") ? null : lower.substring("fashion-mnist:".length());
            if (arg != null && (arg.equals("test") || arg.equals("t10k"))) {
                throw new IllegalArgumentException("calibration data " + spec + ": calibration never uses the test split (t10k is what accuracy is reported on); use fashion-mnist[:N], which takes the training split");
            }
            if (arg != null && arg.startsWith("train")) arg = arg.equals("train") ? null : arg.startsWith("train:") ? arg.substring(6) : arg;
            int n = arg == null ? DEFAULT_COUNT : count(spec, arg);
            Dataset train = DataSources.fashionMnist("train");
            String which = train.count() == 60_000 ? "fashion-mnist train split" : train.source();
            return new CalibrationInputs(which + ", " + Math.min(n, train.count()) + " evenly spaced images",
                    Dataset.of(which, evenlySpaced(train.inputs().get(0).array(), n), null));
        }
        Path file = Path.of(s);
        int n = Integer.MAX_VALUE;
        int colon = s.lastIndexOf(':');
        if (!Files.exists(file) && colon > 0) {
            n = count(spec, s.substring(colon + 1));
            file = Path.of(s.substring(0, colon));
        }
        if (Files.isDirectory(file)) throw new IllegalArgumentException(file + ": calibration data is fashion-mnist[:N] or an .npy/.npz file, not a folder");
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.startsWith("t10k") || name.startsWith("test")) {
            throw new IllegalArgumentException(file + ": looks like a test split; calibration must not use the data accuracy is reported on");
        }
        if (!Files.isRegularFile(file)) throw new IOException(file + ": no such file");
        Dataset d = DataSources.load(file.toString(), null);
        Dataset first = d.limit(n);
        return new CalibrationInputs(file + ", first " + first.count() + " examples", new Dataset(d.source(), first.inputs(), null));
    }

    private static int count(String spec, String arg) {
        try {
            int n = Integer.parseInt(arg);
            if (n < 1) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("calibration data " + spec + ": '" + arg + "' is not a positive example count");
        }
    }

    /** n examples at indices ⌊i·count/n⌋ (all of them when n ≥ count). */
    static NdArray evenlySpaced(NdArray all, int n) {
        int total = all.count();
        if (n >= total) return all;
        int size = all.exampleSize();
        float[] out = new float[n * size];
        for (int i = 0; i < n; i++) {
            int idx = (int) ((long) i * total / n);
            System.arraycopy(all.data(), idx * size, out, i * size, size);
        }
        int[] shape = all.shape().clone();
        shape[0] = n;
        return new NdArray(shape, out);
    }
}

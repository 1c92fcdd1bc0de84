package org.ternary4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.ternary4j.core.KeptTensor;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.OnnxWeights;
import org.ternary4j.formats.packed.PackedReader;
import org.ternary4j.runtime.TernaryModel;

/** A packed file's tensors, read whole: the ternary ones and those kept at INT8/FP16, by name. */
record PackedWeights(Path file, Map<String, TernaryTensor> ternary, Map<String, KeptTensor> kept) {
    static PackedWeights read(Path packed) throws IOException {
        try (PackedReader reader = PackedReader.open(packed)) {
            return new PackedWeights(packed, reader.readAllTernary(), reader.readAllKept());
        }
    }

    /**
     * The runtime on {@code graph} with these weights, after handing {@link #mismatch}'s warning,
     * if any, to {@code warnings}; its load errors name the packed file too (they name the model).
     */
    TernaryModel load(OnnxModel graph, TernaryModel.Options options, Consumer<String> warnings) throws IOException {
        mismatch(graph).ifPresent(warnings);
        try {
            return TernaryModel.load(graph, ternary, kept, options);
        } catch (IOException e) {
            throw new IOException(e.getMessage() + " (packed weights from " + file + ")", e);
        }
    }

    /** A packed tensor's values and the graph's may differ by this share of the tensor's largest (FP16 scales, FP16 or BF16 models). */
    private static final double SAME = 0.01;

    /**
     * A warning when {@code onnx} is not the model quantize wrote with these codes: some of its
     * weights named like the packed tensors differ from the codes' values by more than
     * {@link #SAME} of the tensor's largest (full-precision weights, another quantize run). The
     * runtime takes the weights from the packed file but everything else from the graph, and
     * quantize's graph holds what the codes were fitted with: corrected biases, folded
     * BatchNorms (the classifier's calibrated codes on its full-precision graph read 48 % of lines
     * where their own graph reads 92 %).
     */
    private Optional<String> mismatch(OnnxModel onnx) throws IOException {
        Map<String, float[]> graph = OnnxWeights.canonical(onnx, ternary.keySet());
        int differ = 0;
        String first = null;
        double worst = 0;
        for (String name : new TreeSet<>(graph.keySet())) {
            float[] g = graph.get(name), d = ternary.get(name).dequantize();
            if (g.length != d.length) continue; // the runtime refuses a shape that does not fit
            double largest = 0, diff = 0;
            for (int i = 0; i < d.length; i++) {
                largest = Math.max(largest, Math.abs(d[i]));
                diff = Math.max(diff, Math.abs(g[i] - d[i]));
            }
            double share = largest == 0 ? (diff == 0 ? 0 : 1) : diff / largest;
            if (share <= SAME) continue;
            differ++;
            if (first == null) first = name;
            worst = Math.max(worst, share);
        }
        if (differ == 0) return Optional.empty();
        return Optional.of(String.format(Locale.ROOT,
                "warning: %s is not the model quantize wrote with %s: %d of its %d weights named like packed tensors ('%s'%s) differ from the codes' "
                        + "values by up to %.0f %% of the tensor's largest; the biases and folded BatchNorms it holds may not be those the codes were fitted with",
                onnx.file(), file, differ, graph.size(), first, differ > 1 ? ", …" : "", 100 * worst));
    }

    /** Ternary weights in the file. */
    long ternaryWeights() {
        return ternary.values().stream().mapToLong(t -> t.codes().length).sum();
    }
}

package org.ternary4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.ternary4j.formats.data.DataSources;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.onnx.NamePattern;
import org.ternary4j.formats.onnx.OnnxOptions;
import picocli.CommandLine.Option;

/** What only ONNX inputs have: which layers, BatchNorm folding, evaluation and the HTML page. */
final class QuantizeOnnxOptions {
    @Option(names = "--all-layers", description = "ONNX: also ternarize the first and last weight layers (full precision by default).")
    boolean allLayers;

    @Option(names = "--include", split = ",", paramLabel = "PATTERN",
            description = "Only layers (ONNX: weight or node name; safetensors: tensor name) matching one of these (glob with * and ?, or re:REGEX; whole name; ONNX also kind:depthwise|grouped|conv|convtranspose|gemm|matmul|gather).")
    List<String> include = new ArrayList<>();

    @Option(names = "--exclude", split = ",", paramLabel = "PATTERN",
            description = "Keep layers (ONNX: weight or node name; safetensors: tensor name) matching one of these in full precision (glob, re:REGEX, or ONNX kind:KIND, e.g. kind:depthwise).")
    List<String> exclude = new ArrayList<>();

    @Option(names = "--fold-bn", description = "ONNX: fold a BatchNormalization that follows a ternarized Conv/Gemm into its per-channel scales and bias.")
    boolean foldBn;

    @Option(names = "--embeddings", description = "ONNX: also ternarize Gather tables (embeddings).")
    boolean embeddings;

    @Option(names = "--eval", paramLabel = "DATA",
            description = "ONNX: also evaluate the full-precision and the ternary model on DATA (fashion-mnist, an IDX folder, .npz/.npy) with ONNX Runtime; accuracy goes into the report.")
    String evalData;

    @Option(names = "--eval-limit", paramLabel = "N", description = "With --eval: only the first N examples.")
    Integer evalLimit;

    @Option(names = "--html", paramLabel = "FILE.html", description = "Write a self-contained HTML report (layers, histograms, size; ONNX with --eval: accuracy).")
    Path html;

    boolean any() {
        return allLayers || !include.isEmpty() || !exclude.isEmpty() || foldBn || embeddings || evalData != null || html != null;
    }

    /** Set options that only an ONNX input takes (--include, --exclude and --html apply to safetensors too). */
    boolean onnxOnly() {
        return allLayers || foldBn || embeddings || evalData != null;
    }

    List<NamePattern> patterns(List<String> specs) {
        return specs.stream().map(NamePattern::parse).toList();
    }

    OnnxOptions apply(OnnxOptions base) {
        return base.withAllLayers(allLayers).withInclude(include.stream().map(NamePattern::parse).toList())
                .withExclude(exclude.stream().map(NamePattern::parse).toList()).withFoldBn(foldBn).withEmbeddings(embeddings);
    }

    /** Loaded before anything is written, so a bad --eval fails first. */
    Dataset evalData() throws IOException {
        if (evalData == null) return null;
        Dataset data = DataSources.load(evalData, null);
        return evalLimit == null ? data : data.limit(evalLimit);
    }
}

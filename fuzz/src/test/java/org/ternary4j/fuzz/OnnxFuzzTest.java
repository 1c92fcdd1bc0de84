package org.ternary4j.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Projections;
import org.ternary4j.formats.onnx.OnnxOptions;
import org.ternary4j.formats.onnx.OnnxTernarizer;

/**
 * Any bytes as an ONNX model, through the whole quantize path: parse, find weights (initializers,
 * Constant nodes, subgraphs, external data), fold BatchNorm, ternarize every layer, write. The
 * external-data location checks run on whatever paths the fuzzer invents; Jazzer's own
 * path-traversal detector reports any file access outside the scratch folder.
 */
class OnnxFuzzTest {
    private static final OnnxOptions OPTIONS = OnnxOptions.of(Projections.parse("tnt"), Grouping.parse("row"))
            .withAllLayers(true).withFoldBn(true).withEmbeddings(true);

    @FuzzTest
    @DictionaryEntries({"MatMul", "Gemm", "Conv", "BatchNormalization", "Constant", "Gather", "If", "Loop", "then_branch", "transB",
            "location", "offset", "length", "../", "value"})
    void onnx(byte[] bytes) throws IOException {
        Hostile.check(bytes, file -> OnnxTernarizer.run(file, Hostile.scratch("out.onnx"), OPTIONS));
    }
}

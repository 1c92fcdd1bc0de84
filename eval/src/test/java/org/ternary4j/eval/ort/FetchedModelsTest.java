package org.ternary4j.eval.ort;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.ternary4j.formats.data.Dataset;

/**
 * Real third-party models, when scripts/fetch-models.sh has put them in .cache/models (they are
 * not committed; without them these tests are skipped). Each runs in ONNX Runtime through the
 * evaluator on synthetic inputs and must agree perfectly with itself.
 */
class FetchedModelsTest {
    private static final Path MODELS = Path.of(System.getProperty("maven.multiModuleProjectDirectory", ".."), ".cache", "models");

    @ParameterizedTest
    @CsvSource({
            "ch_ppocr_mobile_v2.0_cls_infer.onnx, p2o.DynamicDimension.1=48;p2o.DynamicDimension.2=192",
            "ch_PP-OCRv4_rec_infer.onnx, p2o.DynamicDimension.1=160",
            "ch_PP-OCRv4_det_infer.onnx, p2o.DynamicDimension.1=64;p2o.DynamicDimension.2=64",
            "hello_deepa.onnx, ''",
            "all-minilm-l6-v2.onnx, sequence_length=16",
            "onnx-testdata/test_Conv2d/model.onnx, ''"})
    void runsAndAgreesWithItself(String name, String dims) throws IOException {
        Path file = fetched(name);
        Map<String, Long> fixed = dims(dims);
        try (OrtModel a = OrtModel.open(file, 1, null, fixed); OrtModel b = OrtModel.open(file, 1, null, fixed)) {
            Dataset data = RandomInputs.forModel(a, 3, 5);
            EvalResult r = Evaluator.compare(a, b, data, 2);
            assertEquals(3, r.n());
            assertEquals(1.0, r.compare().agreement());
            assertEquals(1.0, r.compare().meanCosine(), 1e-9);
        }
    }

    /** A model from .cache/models; the test is skipped when it was not fetched. */
    static Path fetched(String name) {
        Path file = MODELS.resolve(name);
        Assumptions.assumeTrue(Files.isRegularFile(file), file + " not fetched; run scripts/fetch-models.sh to include it");
        return file;
    }

    /** Symbolic dimensions fixed by name, written NAME=SIZE;NAME=SIZE (empty: none). */
    static Map<String, Long> dims(String spec) {
        Map<String, Long> fixed = new java.util.LinkedHashMap<>();
        for (String d : spec.split(";")) if (!d.isBlank()) fixed.put(d.split("=")[0], Long.parseLong(d.split("=")[1]));
        return fixed;
    }
}

package org.ternary4j.eval.ort;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.ternary4j.formats.onnx.OnnxModel;

/** The model layer's declared inputs against ONNX Runtime's, on the fetched models (skipped without them). */
class DeclaredInputsTest {
    @ParameterizedTest
    @CsvSource({
            "ch_ppocr_mobile_v2.0_cls_infer.onnx, p2o.DynamicDimension.1=48;p2o.DynamicDimension.2=192",
            "ch_PP-OCRv4_rec_infer.onnx, ''",
            "all-minilm-l6-v2.onnx, sequence_length=16",
            "all-minilm-l6-v2.onnx, ''",
            "onnx-testdata/test_Conv2d/model.onnx, ''"})
    void sameAsOnnxRuntime(String name, String dims) throws IOException {
        Path file = FetchedModelsTest.fetched(name);
        Map<String, Long> fixed = FetchedModelsTest.dims(dims);
        try (OrtModel ort = OrtModel.open(file, 1, null, fixed); OnnxModel model = OnnxModel.read(file)) {
            List<OrtModel.Input> want = ort.inputs(), got = DeclaredInputs.of(model, fixed);
            assertEquals(want.size(), got.size(), "input count");
            for (int i = 0; i < want.size(); i++) {
                assertEquals(want.get(i).name(), got.get(i).name());
                assertEquals(want.get(i).type(), got.get(i).type(), want.get(i).name());
                assertArrayEquals(want.get(i).shape(), got.get(i).shape(), want.get(i).name());
            }
        }
    }

    @Test
    void aDimensionBelowOneIsRefusedAsOnnxRuntimeRefusesIt() throws IOException {
        Path file = FetchedModelsTest.fetched("all-minilm-l6-v2.onnx");
        try (OnnxModel model = OnnxModel.read(file)) {
            IllegalArgumentException ours = assertThrows(IllegalArgumentException.class, () -> DeclaredInputs.of(model, Map.of("sequence_length", 0L)));
            IllegalArgumentException ort = assertThrows(IllegalArgumentException.class, () -> OrtModel.open(file, 1, null, Map.of("sequence_length", 0L)));
            assertEquals(ort.getMessage(), ours.getMessage());
        }
    }
}

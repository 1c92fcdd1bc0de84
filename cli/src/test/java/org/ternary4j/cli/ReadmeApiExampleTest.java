package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.core.KeptTensor;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.Ternarizer;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.metrics.TensorMetrics;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.core.projection.Projections;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.OnnxOptions;
import org.ternary4j.formats.packed.PackedReader;
import org.ternary4j.ptq.OnnxQuantization;
import org.ternary4j.ptq.QuantizeReport;
import org.ternary4j.ptq.SafetensorsQuantization;
import org.ternary4j.runtime.TernaryModel;
import org.ternary4j.runtime.graph.Activations;
import org.ternary4j.runtime.graph.Tensor;

/** The README's Java API example, kept compiling and running (same calls, real inputs). */
class ReadmeApiExampleTest {
    @TempDir
    Path dir;

    @Test
    void coreExample() {
        SplittableRandom r = new SplittableRandom(1);
        float[] w = new float[256 * 1024];
        for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextDouble() - 0.5);
        TernaryTensor t = new Ternarizer(Projections.parse("two-scale"), Grouping.parse("row"), 2)
                .apply(new int[] {256, 1024}, w);
        float[] q = t.dequantize();
        byte[] packed = Packing.BASE3.pack(t.codes());
        TensorMetrics m = TensorMetrics.of(w, q, t.sparsity(), t.bitsPerWeight(Packing.BASE3));
        assertEquals(256 * 1024 / 5 + 1, packed.length);
        assertTrue(m.cosine() > 0.85 && m.bitsPerWeight() < 1.7, m.toString());
    }

    @Test
    void onnxAndRuntimeExample() throws Exception {
        Path model = TaskCommandsTest.LENET;
        Path out = dir.resolve("lenet5-t.onnx"), packed = dir.resolve("lenet5-t.packed.safetensors");
        OnnxOptions options = OnnxOptions.of(Projections.parse("tnt"), Grouping.parse("row")).withPacking(Packing.BASE3).withFoldBn(true);
        OnnxQuantization.Outcome r = OnnxQuantization.run(OnnxQuantization.Request.of(model, out, options).withPacked(packed));
        r.result().reports().forEach(l -> assertTrue(l.metrics().cosine() > 0.5, l.name()));
        assertEquals(3, r.result().reports().size());

        Map<String, TernaryTensor> ternary;
        Map<String, KeptTensor> kept;
        try (PackedReader p = PackedReader.open(packed)) {
            ternary = p.readAllTernary();
            kept = p.readAllKept();
        }
        assertTrue(kept.isEmpty());
        float[] pixels = new float[28 * 28];
        Map<String, Tensor> input = Map.of("input", new Tensor.F32(new int[] {1, 1, 28, 28}, pixels));
        try (OnnxModel onnx = OnnxModel.read(out);
             TernaryModel m = TernaryModel.load(onnx, ternary, kept, new TernaryModel.Options(2, Activations.AUTO).withWarmUpInputs(input))) {
            Map<String, Tensor> o = m.run(input);
            assertEquals(10, o.values().iterator().next().size());
        }
    }

    @Test
    void safetensorsExample() throws Exception {
        Path in = Path.of(System.getProperty("maven.multiModuleProjectDirectory", ".."), "scripts/golden/fixture.safetensors");
        Path out = dir.resolve("model-t.safetensors"), packed = dir.resolve("model-t.packed.safetensors");
        QuantizeReport report = SafetensorsQuantization.run(SafetensorsQuantization.Request
                .of(in, out, Projections.parse("tnt"), Grouping.parse("row")).withPacked(packed).withReport(dir.resolve("report.json")));
        assertEquals(4, report.tensors().size());
        try (PackedReader p = PackedReader.open(packed)) {
            assertEquals(4, p.ternaryNames().size());
        }
    }
}

package org.ternary4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.KeptTensor;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.runtime.TernaryModel;

/**
 * A mixed model: the conv ternary, the Gemm (transB = 1) kept at INT8, the MatMul ([in, out] in
 * ONNX) kept at FP16. The model handed to the runtime still holds the full-precision weights, so
 * only the kept tensors can make it agree with ONNX Runtime running the dequantized values.
 */
class KeptWeightsTest {

    @Test
    void mixedModelMatchesOnnxRuntimeOnDequantizedWeights() throws Exception {
        Random rnd = new Random(21);
        TernaryModelTest.Net net = TernaryModelTest.net(rnd);
        float[] fc1 = OperatorsTest.input(new int[] {37, 128}, rnd, false).floats();
        float[] fc2 = OperatorsTest.input(new int[] {10, 37}, rnd, false).floats();
        KeptTensor int8 = KeptTensor.of(KeptTensor.Precision.INT8, new int[] {37, 128}, fc1);
        KeptTensor fp16 = KeptTensor.of(KeptTensor.Precision.FP16, new int[] {10, 37}, fc2);
        OnnxMl.ModelProto original = withWeights(net.model(), fc1, TernaryModelTest.transpose(fc2, 10, 37));
        OnnxMl.ModelProto dequantized = withWeights(net.model(), int8.dequantize(), TernaryModelTest.transpose(fp16.dequantize(), 10, 37));
        Map<String, Tensor> in = Map.of("x", OperatorsTest.input(new int[] {4, 3, 9, 8}, rnd, false));
        float[] expected = Onnx.ort(dequantized, in).get("logits").floats();
        Map<String, TernaryTensor> ternary = Map.of("conv.w", net.ternary().get("conv.w"));
        float[] got, unkept;
        try (TernaryModel m = TernaryModel.load(Onnx.read(original), ternary, Map.of("fc1.w", int8, "fc2.w", fp16), new TernaryModel.Options(1, Activations.FLOAT))) {
            got = m.run(in).get("logits").floats();
        }
        try (TernaryModel m = TernaryModel.load(Onnx.read(original), ternary, new TernaryModel.Options(1, Activations.FLOAT))) {
            unkept = m.run(in).get("logits").floats();
        }
        double scale = 0, moved = 0;
        for (float v : expected) scale = Math.max(scale, Math.abs(v));
        for (int k = 0; k < expected.length; k++) {
            assertEquals(expected[k], got[k], 1e-4 * scale, "logit " + k);
            moved = Math.max(moved, Math.abs(expected[k] - unkept[k]));
        }
        assertTrue(moved > 1e-3 * scale, "the INT8 rounding is visible in the outputs, so the test can tell kept from original weights");
    }

    @Test
    void keptWeightsMustBeLayerWeightsOfTheModelsShape() throws Exception {
        Random rnd = new Random(22);
        TernaryModelTest.Net net = TernaryModelTest.net(rnd);
        KeptTensor wrong = KeptTensor.of(KeptTensor.Precision.FP16, new int[] {37, 7}, new float[37 * 7]);
        String msg = refusal(net, Map.of("fc1.w", wrong));
        assertTrue(msg.endsWith(": kept weight 'fc1.w' implies ONNX shape [37, 7] but the model's is [37, 128]"), msg);
        msg = refusal(net, Map.of("bn.g", KeptTensor.of(KeptTensor.Precision.INT8, new int[] {8}, new float[8])));
        assertTrue(msg.endsWith(": kept weight 'bn.g' is input 1 of BatchNormalization node 'batchnormalization_bn'; kept weights can only be the weight (input 1) of Conv, Gemm or MatMul, or the table (input 0) of Gather"), msg);
    }

    private static String refusal(TernaryModelTest.Net net, Map<String, KeptTensor> kept) {
        IOException e = assertThrows(IOException.class, () -> TernaryModel.load(Onnx.read(net.model()), Map.of(), kept, TernaryModel.Options.defaults()).close());
        assertEquals(-1, e.getMessage().indexOf('\n'));
        return e.getMessage();
    }

    /** The model with fc1.w ([37, 128], transB = 1) and fc2.w ([37, 10]) replaced. */
    private static OnnxMl.ModelProto withWeights(OnnxMl.ModelProto m, float[] fc1, float[] fc2T) {
        List<OnnxMl.TensorProto> inits = new ArrayList<>();
        for (OnnxMl.TensorProto t : m.getGraph().getInitializerList()) {
            if (t.getName().equals("fc1.w")) inits.add(Onnx.floats("fc1.w", new int[] {37, 128}, fc1));
            else if (t.getName().equals("fc2.w")) inits.add(Onnx.floats("fc2.w", new int[] {37, 10}, fc2T));
            else inits.add(t);
        }
        return m.toBuilder().setGraph(m.getGraph().toBuilder().clearInitializer().addAllInitializer(inits)).build();
    }
}

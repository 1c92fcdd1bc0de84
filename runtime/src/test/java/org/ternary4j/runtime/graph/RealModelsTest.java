package org.ternary4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Projections;
import org.ternary4j.formats.onnx.OnnxOptions;
import org.ternary4j.formats.onnx.OnnxResult;
import org.ternary4j.formats.onnx.OnnxTernarizer;
import org.ternary4j.formats.onnx.OnnxTernaryTensor;
import org.ternary4j.runtime.TernaryModel;

/**
 * The project's LeNet-5 and VGG, ternarized (TNT), on Fashion-MNIST test images at batch 1: the
 * exact path (fused BatchNorm/Relu, pixel-vectorized convs, float ternary kernels) must predict
 * exactly what ONNX Runtime predicts on the dequantized model; the int8 path nearly always.
 */
class RealModelsTest {
    private static final Path IMAGES = Path.of("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");

    @ParameterizedTest(name = "{0} {1} half scales {3}")
    @CsvSource({"lenet5-fmnist, row, 500, false", "lenet5-fmnist, kernel, 200, false", "vgg-fmnist, row, 200, false",
                "lenet5-fmnist, kernel, 200, true", "vgg-fmnist, row, 100, true"})
    void exactPathPredictsWhatOnnxRuntimePredicts(String name, String grouping, int n, boolean halfScales, @TempDir Path dir) throws Exception {
        Path model = Path.of("..", "models", name + ".onnx");
        assumeTrue(Files.isRegularFile(model) && Files.isRegularFile(IMAGES), "needs models/ and the Fashion-MNIST test set");
        Path out = dir.resolve(name + ".onnx");
        OnnxResult r = OnnxTernarizer.run(model, out, OnnxOptions.of(Projections.parse("tnt"), Grouping.parse(grouping)).withHalfScales(halfScales));
        Map<String, TernaryTensor> ternary = new HashMap<>();
        for (OnnxTernaryTensor t : r.tensors()) {
            assertEquals(halfScales, t.tensor().halfScales(), t.name() + ": FP16 scales exactly when asked for");
            ternary.put(t.name(), t.tensor());
        }
        org.ternary4j.formats.onnx.OnnxModel proto = org.ternary4j.formats.onnx.OnnxModel.read(out);
        float[] images = images(n);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        int exactAgree = 0, int8Agree = 0;
        double maxDiff = 0;
        try (proto;
             TernaryModel exact = TernaryModel.load(proto, ternary, new TernaryModel.Options(1, Activations.FLOAT));
             TernaryModel int8 = TernaryModel.load(proto, ternary, new TernaryModel.Options(2, Activations.INT8));
             OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(1);
            try (OrtSession ort = env.createSession(out.toString(), so)) {
                String in = exact.inputNames().getFirst(), output = exact.outputNames().getFirst();
                for (int i = 0; i < n; i++) {
                    float[] x = java.util.Arrays.copyOfRange(images, i * 784, (i + 1) * 784);
                    Map<String, Tensor> feed = Map.of(in, new Tensor.F32(new int[] {1, 1, 28, 28}, x));
                    float[] e = exact.run(feed).get(output).floats(), q = int8.run(feed).get(output).floats(), o;
                    try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {1, 1, 28, 28});
                         OrtSession.Result res = ort.run(Map.of(ort.getInputNames().iterator().next(), t))) {
                        o = ((float[][]) res.get(0).getValue())[0];
                    }
                    if (argmax(e) == argmax(o)) exactAgree++;
                    if (argmax(q) == argmax(o)) int8Agree++;
                    for (int j = 0; j < o.length; j++) maxDiff = Math.max(maxDiff, Math.abs(e[j] - o[j]) / (1 + Math.abs(o[j])));
                }
            }
        }
        assertEquals(n, exactAgree, "exact predictions that agree with ONNX Runtime");
        assertTrue(maxDiff < 1e-4, "max relative output difference " + maxDiff);
        assertTrue(int8Agree >= 0.95 * n, "int8 agreement " + int8Agree + "/" + n);
    }

    private static float[] images(int n) throws IOException {
        try (DataInputStream in = new DataInputStream(new GZIPInputStream(Files.newInputStream(IMAGES)))) {
            if (in.readInt() != 0x803) throw new IOException(IMAGES + ": not an IDX image file");
            int count = in.readInt(), rows = in.readInt(), cols = in.readInt();
            if (rows != 28 || cols != 28 || count < n) throw new IOException(IMAGES + ": unexpected shape");
            byte[] raw = new byte[n * 784];
            in.readFully(raw);
            float[] x = new float[raw.length];
            for (int i = 0; i < raw.length; i++) x[i] = (raw[i] & 0xff) / 255f;
            return x;
        }
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}

package org.ternary4j.qat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Map;

/** The second implementation the exported graphs are checked against: ONNX Runtime. */
final class OrtRunner {
    private OrtRunner() {}

    static float[] logits(byte[] model, FashionMnist.Split data) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(1);
            so.setInterOpNumThreads(1);
            try (OrtSession s = env.createSession(model, so);
                 OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(data.pixels()), new long[] {data.count(), 1, 28, 28});
                 OrtSession.Result r = s.run(Map.of(OnnxExport.INPUT, x))) {
                OnnxTensor out = (OnnxTensor) r.get(OnnxExport.OUTPUT).orElseThrow();
                FloatBuffer fb = out.getFloatBuffer();
                float[] v = new float[fb.remaining()];
                fb.get(v);
                return v;
            }
        }
    }
}

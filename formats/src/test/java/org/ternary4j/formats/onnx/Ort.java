package org.ternary4j.formats.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** ONNX Runtime as the independent evaluator of the tests' models. */
final class Ort {
    private Ort() {}

    /** Runs a model on float inputs (name → values, shape) plus an optional boolean "cond", returns the first output. */
    static float[] run(Path model, Map<String, float[]> inputs, Map<String, long[]> shapes, Boolean cond) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(1);
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            try (OrtSession s = env.createSession(model.toString(), so)) {
                Map<String, OnnxTensor> feed = new HashMap<>();
                try {
                    for (var e : inputs.entrySet()) feed.put(e.getKey(), OnnxTensor.createTensor(env, FloatBuffer.wrap(e.getValue()), shapes.get(e.getKey())));
                    if (cond != null) feed.put("cond", OnnxTensor.createTensor(env, new boolean[] {cond}));
                    try (OrtSession.Result r = s.run(feed)) {
                        FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
                        float[] out = new float[fb.remaining()];
                        fb.get(out);
                        return out;
                    }
                } finally {
                    for (OnnxTensor t : feed.values()) t.close();
                }
            }
        }
    }

    static float[] run(Path model, String input, float[] x, long... shape) throws OrtException {
        return run(model, Map.of(input, x), Map.of(input, shape), null);
    }
}

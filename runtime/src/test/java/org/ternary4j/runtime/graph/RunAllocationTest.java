package org.ternary4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ternary4j.runtime.graph.Onnx.i;
import static org.ternary4j.runtime.graph.Onnx.ints;
import static org.ternary4j.runtime.graph.Onnx.node;

import ai.onnx.proto.OnnxMl;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.runtime.TernaryModel;
import org.ternary4j.runtime.kernel.Buffers;

/**
 * A compiled run allocates its output and little else: a detector-shaped graph (a float stride-2
 * stem with BatchNormalization and Relu, a ternary depthwise conv, a ternary 1×1 conv, a
 * ConvTranspose with BatchNormalization and Relu, a Concat and a Softmax) takes its activations
 * from the run's reused buffers and its kernels' working arrays from per-thread scratch. Counted
 * with the JVM's per-thread allocation counter on one thread, the least over several blocks of
 * runs (a block that still runs uncompiled Vector API code allocates boxes). When every step
 * allocated its output afresh this graph took 5.1 MB a run for its 1 MB output; with a vector
 * boxed per Softmax row (handed to a helper C2 did not inline), 1.31 MB; now 1.09 MB.
 */
class RunAllocationTest {
    /** Bytes a run may allocate beyond its output: tensors, shapes and maps take about 37 KB here. */
    private static final long SLACK = 128 << 10;

    @Test
    void aRunAllocatesLittleBeyondItsOutput() throws Exception {
        Random rnd = new Random(5);
        int c = 8, side = 128;
        TernaryTensor dw = ternary(new int[] {c, 1, 3, 3}, rnd), pw = ternary(new int[] {2 * c, c, 1, 1}, rnd);
        OnnxMl.ModelProto model = Onnx.model(13, new String[] {"x"}, new String[] {"y"}, List.of(
                        node("Conv", new String[] {"x", "stem"}, new String[] {"s"}, ints("strides", 2, 2), ints("pads", 1, 1, 1, 1), ints("kernel_shape", 3, 3)),
                        node("BatchNormalization", new String[] {"s", "g1", "b1", "m1", "v1"}, new String[] {"sn"}),
                        node("Relu", new String[] {"sn"}, new String[] {"sr"}),
                        node("Conv", new String[] {"sr", "dw"}, new String[] {"d"}, i("group", c), ints("pads", 1, 1, 1, 1), ints("kernel_shape", 3, 3)),
                        node("Conv", new String[] {"d", "pw"}, new String[] {"p"}, ints("kernel_shape", 1, 1)),
                        node("ConvTranspose", new String[] {"p", "up"}, new String[] {"u"}, ints("strides", 2, 2)),
                        node("BatchNormalization", new String[] {"u", "g2", "b2", "m2", "v2"}, new String[] {"un"}),
                        node("Relu", new String[] {"un"}, new String[] {"ur"}),
                        node("Concat", new String[] {"ur", "ur"}, new String[] {"cat"}, i("axis", 1)),
                        node("Softmax", new String[] {"cat"}, new String[] {"y"}, i("axis", -1))),
                List.of(Onnx.floats("stem", new int[] {c, 3, 3, 3}, OperatorsTest.gauss(rnd, c * 27)),
                        Onnx.floats("dw", dw.shape(), dw.dequantize()), Onnx.floats("pw", pw.shape(), pw.dequantize()),
                        Onnx.floats("up", new int[] {2 * c, c, 2, 2}, OperatorsTest.gauss(rnd, 2 * c * c * 4)),
                        positive("g1", c, rnd), OperatorsTest.vec("b1", c, rnd), OperatorsTest.vec("m1", c, rnd), positive("v1", c, rnd),
                        positive("g2", c, rnd), OperatorsTest.vec("b2", c, rnd), OperatorsTest.vec("m2", c, rnd), positive("v2", c, rnd)));
        Map<String, Tensor> x = Map.of("x", OperatorsTest.input(new int[] {1, 3, side, side}, rnd, false));
        long outputBytes = 4L * 2 * c * side * side;
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (TernaryModel m = TernaryModel.load(Onnx.read(model), Map.of("dw", dw, "pw", pw), TernaryModel.Options.defaults())) {
            long least = Long.MAX_VALUE;
            for (int block = 0; block < 200; block++) {
                long a0 = mx.getCurrentThreadAllocatedBytes();
                for (int r = 0; r < 10; r++) m.run(x);
                least = Math.min(least, (mx.getCurrentThreadAllocatedBytes() - a0) / 10);
                if (least < outputBytes + SLACK) break;
            }
            assertTrue(least < outputBytes + SLACK, "a run allocated " + least + " bytes; its output is " + outputBytes);
            assertTrue(Buffers.keptFloats() > 0, "the runs keep the arrays they freed for the next run");
        }
        assertEquals(0, Buffers.keptFloats(), "closing the model drops them");
    }

    private static TernaryTensor ternary(int[] shape, Random rnd) {
        int n = 1;
        for (int d : shape) n *= d;
        byte[] codes = new byte[n];
        for (int j = 0; j < n; j++) codes[j] = (byte) (rnd.nextInt(3) - 1);
        float[] scale = new float[shape[0]];
        for (int o = 0; o < scale.length; o++) scale[o] = 0.25f + 0.1f * o;
        return new TernaryTensor(shape, new Grouping.Row(), "test", codes, scale, null);
    }

    private static OnnxMl.TensorProto positive(String name, int n, Random rnd) {
        float[] v = OperatorsTest.gauss(rnd, n);
        for (int j = 0; j < n; j++) v[j] = Math.abs(v[j]) + 0.5f;
        return Onnx.floats(name, new int[] {n}, v);
    }
}

package org.ternary4j.qat;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One network inside a DJL PyTorch trainer: build, initialise (seeded), train epochs, evaluate,
 * and pull the parameters out for export.
 */
public final class TrainingSession implements AutoCloseable {
    private static final String[] BN_PARAMS = {"gamma", "beta", "runningMean", "runningVar"};
    private static final String[] BN_ONNX = {"gamma", "beta", "mean", "var"};

    private final Network network;
    private final Model model;
    private final Trainer trainer;
    private final Loss loss = Loss.softmaxCrossEntropyLoss();

    /** Random start from {@code seed}; {@code stepsTotal} sizes the cosine learning-rate decay. */
    public TrainingSession(Network network, long seed, float learningRate, int stepsTotal) {
        this.network = network;
        Engine.getInstance().setRandomSeed((int) seed);
        model = Model.newInstance("ternary4j-" + network.architecture().cliName());
        // He initialisation: the nets are ReLU nets.
        network.block().setInitializer(new XavierInitializer(XavierInitializer.RandomType.GAUSSIAN, XavierInitializer.FactorType.IN, 2), Parameter.Type.WEIGHT);
        model.setBlock(network.block());
        Tracker lr = Tracker.cosine().setBaseValue(learningRate).optFinalValue(learningRate * 0.01f).setMaxUpdates(Math.max(1, stepsTotal)).build();
        trainer = model.newTrainer(new DefaultTrainingConfig(loss).optOptimizer(Optimizer.adam().optLearningRateTracker(lr).build()));
        trainer.initialize(new Shape(1, 1, FashionMnist.SIDE, FashionMnist.SIDE));
    }

    public Network network() {
        return network;
    }

    /**
     * One pass over {@code data} in the order {@code order}; {@code afterBatch} gets each batch's
     * size. Returns {mean loss, accuracy} measured on the fly.
     */
    public double[] trainEpoch(FashionMnist.Split data, int[] order, int batchSize, BatchListener afterBatch) {
        double lossSum = 0;
        long correct = 0;
        int seen = 0;
        for (int start = 0; start < order.length; start += batchSize) {
            int n = Math.min(batchSize, order.length - start);
            try (NDManager m = trainer.getManager().newSubManager()) {
                float[] r = step(batch(m, data, order, start, n));
                lossSum += r[0] * n;
                correct += (long) r[1];
            }
            seen += n;
            afterBatch.done(n, lossSum / seen, (double) correct / seen);
        }
        return new double[] {lossSum / seen, (double) correct / seen};
    }

    /** Called after each batch with its size and the running mean loss and accuracy. */
    public interface BatchListener {
        void done(int size, double meanLoss, double accuracy);
    }

    private float[] step(NDList[] xy) {
        float lossValue, correct;
        try (GradientCollector gc = trainer.newGradientCollector()) {
            NDArray logits = trainer.forward(xy[0]).singletonOrThrow();
            NDArray l = loss.evaluate(xy[1], new NDList(logits));
            gc.backward(l);
            lossValue = l.getFloat();
            correct = logits.argMax(1).toType(DataType.INT32, false).eq(xy[1].singletonOrThrow().toType(DataType.INT32, false)).toType(DataType.FLOAT32, false).sum().getFloat();
        }
        trainer.step();
        if (!Float.isFinite(lossValue)) throw new IllegalStateException("training diverged: loss is " + lossValue + " (try a smaller learning rate)");
        return new float[] {lossValue, correct};
    }

    private static NDList[] batch(NDManager m, FashionMnist.Split data, int[] order, int start, int n) {
        float[] x = new float[n * FashionMnist.PIXELS];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            int idx = order[start + i];
            System.arraycopy(data.pixels(), idx * FashionMnist.PIXELS, x, i * FashionMnist.PIXELS, FashionMnist.PIXELS);
            y[i] = data.labels()[idx];
        }
        return new NDList[] {
            new NDList(m.create(x, new Shape(n, 1, FashionMnist.SIDE, FashionMnist.SIDE))),
            new NDList(m.create(y, new Shape(n)))};
    }

    /** Inference logits [count, 10], row-major (batch norms use their running statistics). */
    public float[] logits(FashionMnist.Split data) {
        float[] out = new float[data.count() * FashionMnist.CLASSES];
        int batch = 1000;
        for (int start = 0; start < data.count(); start += batch) {
            int n = Math.min(batch, data.count() - start);
            try (NDManager m = trainer.getManager().newSubManager()) {
                float[] x = Arrays.copyOfRange(data.pixels(), start * FashionMnist.PIXELS, (start + n) * FashionMnist.PIXELS);
                NDArray in = m.create(x, new Shape(n, 1, FashionMnist.SIDE, FashionMnist.SIDE));
                NDArray logits = network.block().forward(new ParameterStore(m, false), new NDList(in), false).singletonOrThrow();
                System.arraycopy(logits.toFloatArray(), 0, out, start * FashionMnist.CLASSES, n * FashionMnist.CLASSES);
            }
        }
        return out;
    }

    public double accuracy(FashionMnist.Split data) {
        return Accuracy.of(logits(data), data.labels());
    }

    /** Every parameter under its ONNX name (see {@link OnnxExport}). */
    public Map<String, FloatTensor> exportParameters() {
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        for (WeightBlock b : network.weighted().values()) {
            out.put(b.spec().name() + ".weight", FloatTensor.of(b.weight().getArray()));
            if (b.bias() != null) out.put(b.spec().name() + ".bias", FloatTensor.of(b.bias().getArray()));
        }
        for (Map.Entry<String, BatchNorm> e : network.norms().entrySet()) {
            for (int i = 0; i < BN_PARAMS.length; i++) {
                out.put(e.getKey() + "." + BN_ONNX[i], FloatTensor.of(e.getValue().getParameters().get(BN_PARAMS[i]).getArray()));
            }
        }
        return out;
    }

    @Override
    public void close() {
        trainer.close();
        model.close();
    }
}

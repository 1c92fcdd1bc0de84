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
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * One network inside a DJL PyTorch trainer: build, initialise (seeded), optionally load float
 * weights, train epochs, evaluate, and pull the parameters out for export.
 */
public final class TrainingSession implements AutoCloseable {
    private static final String[] BN_PARAMS = {"gamma", "beta", "runningMean", "runningVar"};
    private static final String[] BN_ONNX = {"gamma", "beta", "mean", "var"};

    private final Network network;
    private final Model model;
    private final Trainer trainer;
    private final PhasedOptimizer optimizer;
    private final boolean alternates;
    private final Loss loss = Loss.softmaxCrossEntropyLoss();

    /** Random start from {@code seed}; {@code stepsTotal} sizes the cosine learning-rate decay. */
    public TrainingSession(Network network, long seed, float learningRate, int stepsTotal) {
        this.network = network;
        Engine.getInstance().setRandomSeed((int) seed);
        model = Model.newInstance("ternary4j-" + network.architecture().cliName());
        // He initialisation: the nets are ReLU nets.
        network.block().setInitializer(new XavierInitializer(XavierInitializer.RandomType.GAUSSIAN, XavierInitializer.FactorType.IN, 2), Parameter.Type.WEIGHT);
        model.setBlock(network.block());
        Set<String> altIds = new HashSet<>();
        for (WeightBlock b : network.weighted().values()) for (Parameter p : b.quantizer().alternatingParameters()) altIds.add(p.getId());
        alternates = !altIds.isEmpty();
        Tracker lr = Tracker.cosine().setBaseValue(learningRate).optFinalValue(learningRate * 0.01f).setMaxUpdates(Math.max(1, stepsTotal)).build();
        optimizer = new PhasedOptimizer(Optimizer.adam().optLearningRateTracker(lr).build(), altIds);
        trainer = model.newTrainer(new DefaultTrainingConfig(loss).optOptimizer(optimizer));
        trainer.initialize(new Shape(1, 1, FashionMnist.SIDE, FashionMnist.SIDE));
    }

    public Network network() {
        return network;
    }

    /** Sets every weight, bias and batch-norm statistic from {@code params} (see {@link OnnxExport} names). */
    public void load(Map<String, FloatTensor> params, Path source) throws IOException {
        for (WeightBlock b : network.weighted().values()) {
            set(b.weight(), params, b.spec().name() + ".weight", source);
            if (b.bias() != null) set(b.bias(), params, b.spec().name() + ".bias", source);
        }
        for (Map.Entry<String, BatchNorm> e : network.norms().entrySet()) {
            for (int i = 0; i < BN_PARAMS.length; i++) {
                set(e.getValue().getParameters().get(BN_PARAMS[i]), params, e.getKey() + "." + BN_ONNX[i], source);
            }
        }
    }

    private static void set(Parameter p, Map<String, FloatTensor> params, String name, Path source) throws IOException {
        FloatTensor t = params.get(name);
        if (t == null) throw new IOException(source + ": no float initializer '" + name + "' (not a ternary4j model of this architecture?)");
        long[] want = p.getArray().getShape().getShape();
        if (!Arrays.equals(want, Arrays.stream(t.shape()).asLongStream().toArray())) {
            throw new IOException(source + ": initializer '" + name + "' has shape " + Arrays.toString(t.shape()) + ", the model needs " + Arrays.toString(want));
        }
        p.getArray().set(t.data());
    }

    /** Fits every quantizer's learned scales/thresholds to the current weights. */
    public void initialiseQuantizers() {
        for (WeightBlock b : network.weighted().values()) {
            List<NDArray> extra = b.quantizerParameters().stream().map(Parameter::getArray).toList();
            b.quantizer().initialise(b.weight().getArray(), extra);
        }
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
                NDList[] xy = batch(m, data, order, start, n);
                if (alternates) {
                    optimizer.phase(PhasedOptimizer.Phase.ALTERNATING);
                    step(xy);
                    optimizer.phase(PhasedOptimizer.Phase.OTHERS);
                }
                float[] r = step(xy);
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

    /**
     * Train-mode forward passes without weight updates over {@code batches} batches in the order
     * {@code order}: each batch norm's running statistics move to those of the current weights.
     */
    public void reestimateBatchNorm(FashionMnist.Split data, int[] order, int batches, int batchSize) {
        for (int b = 0, start = 0; b < batches && start < order.length; b++, start += batchSize) {
            int n = Math.min(batchSize, order.length - start);
            try (NDManager m = trainer.getManager().newSubManager()) {
                network.block().forward(new ParameterStore(m, false), batch(m, data, order, start, n)[0], true);
            }
        }
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

    /** Every parameter under its ONNX name; ternarized layers give their dequantized weight. */
    public Map<String, FloatTensor> exportParameters() {
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        try (NDManager m = trainer.getManager().newSubManager()) {
            ParameterStore ps = new ParameterStore(m, false);
            for (WeightBlock b : network.weighted().values()) {
                NDArray w = b.effectiveWeight(ps, m.getDevice(), false);
                out.put(b.spec().name() + ".weight", FloatTensor.of(w));
                if (w != b.weight().getArray()) w.close();
                if (b.bias() != null) out.put(b.spec().name() + ".bias", FloatTensor.of(b.bias().getArray()));
            }
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

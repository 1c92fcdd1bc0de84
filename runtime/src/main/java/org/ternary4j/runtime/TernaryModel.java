package org.ternary4j.runtime;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.ternary4j.core.KeptTensor;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.formats.onnx.OneLine;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.runtime.graph.Activations;
import org.ternary4j.runtime.graph.Graph;
import org.ternary4j.runtime.graph.Tensor;
import org.ternary4j.runtime.kernel.Buffers;
import org.ternary4j.runtime.kernel.Parallel;
import org.ternary4j.runtime.kernel.Scratch;
import org.ternary4j.runtime.kernel.WeightBytes;

/**
 * An ONNX model loaded once and run many times, with the weights named in {@code ternary} taken
 * from packed ternary tensors (canonical [out, in, ...] layout) and executed by the packed kernels.
 * Load checks every operator first and names all unsupported ones in one error. The model is read
 * through {@link OnnxModel} (which checks the graph) and fully decoded at load, so it may be closed
 * once {@link #load} returns.
 */
public final class TernaryModel implements AutoCloseable {

    /**
     * @param threads           kernel threads (results are bit-identical for every count)
     * @param activations       float or int8 activations in the ternary layers (default {@link Activations#AUTO}: int8 only in the lookup-table MatMul/Gemm layers)
     * @param warmUp            run the model at load so the first real call is not slow (see {@link #warmUp()})
     * @param warmUpInputs      what the warm-up runs the model on: inputs like the caller's (same shapes), or null for small synthetic ones
     *                          from the declared shapes. A model compiles other kernels at other shapes: PP-OCRv4's recogniser
     *                          warmed on 32-pixel-wide lines took 0.35–0.61 s for its first 320-pixel line, 13–15 ms once compiled
     * @param batchSplit        run a batch as one part per thread where that gives the same bits (see {@link #splitsBatches}); true by default
     */
    public record Options(int threads, Activations activations, boolean warmUp, Map<String, Tensor> warmUpInputs, boolean batchSplit) {
        public Options {
            if (threads < 1) throw new IllegalArgumentException("threads must be ≥ 1, got " + threads);
            java.util.Objects.requireNonNull(activations, "activations");
            if (warmUpInputs != null) warmUpInputs = Map.copyOf(warmUpInputs);
        }

        /** With or without the warm-up at load on synthetic inputs. */
        public Options(int threads, Activations activations, boolean warmUp) {
            this(threads, activations, warmUp, null, true);
        }

        /** With the warm-up at load on synthetic inputs. */
        public Options(int threads, Activations activations) {
            this(threads, activations, true);
        }

        /** The same options, warming up at load on these inputs (which must fit the model) until the JIT has nearly finished compiling for them. */
        public Options withWarmUpInputs(Map<String, Tensor> inputs) {
            return new Options(threads, activations, true, java.util.Objects.requireNonNull(inputs, "inputs"), batchSplit);
        }

        /** The same options, every batch run whole, its steps' work shared by the threads (to compare with the split, say). */
        public Options withoutBatchSplit() {
            return new Options(threads, activations, warmUp, warmUpInputs, false);
        }

        public static Options defaults() {
            return new Options(1, Activations.AUTO);
        }
    }

    private final Graph graph;
    private final Parallel par;
    private final Activations activations;
    private final boolean batchSplit;

    private WarmUp.Result warmUp;

    private TernaryModel(Graph graph, Options options) {
        this.graph = graph;
        this.par = Parallel.of(options.threads());
        this.activations = options.activations();
        this.batchSplit = options.batchSplit();
    }

    /** What the warm-up at load did (runs, time and input shapes), or why it was skipped or not asked for. */
    public String warmUp() {
        return warmUp.toString();
    }

    /**
     * The size the warm-up gave every symbolic input dimension but the first, when the model ran
     * on it (the smallest of 32, 64, 128 that fits): a size synthetic inputs can use. Empty when
     * the warm-up did not run or nothing fitted.
     */
    public java.util.OptionalInt warmUpSide() {
        return warmUp.side() > 0 ? java.util.OptionalInt.of(warmUp.side()) : java.util.OptionalInt.empty();
    }

    /**
     * Compiles {@code model} with the weights named in {@code ternary} packed. Every problem is an
     * IOException whose message is one line starting with the model's file: unsupported operators
     * (all listed), tensors that do not decode, packed weights whose shape or place does not fit.
     * Warm-up inputs ({@link Options#withWarmUpInputs}) the model cannot run on are an
     * IllegalArgumentException.
     */
    public static TernaryModel load(OnnxModel model, Map<String, TernaryTensor> ternary, Options options) throws IOException {
        return load(model, ternary, Map.of(), options);
    }

    /**
     * As {@link #load(OnnxModel, Map, Options)}, with the weights named in {@code kept} (mixed
     * precision's INT8/FP16 layers) dequantized at load and run in float like the model's own.
     */
    public static TernaryModel load(OnnxModel model, Map<String, TernaryTensor> ternary, Map<String, KeptTensor> kept, Options options) throws IOException {
        try {
            TernaryModel m = new TernaryModel(Graph.compile(model, ternary, kept), options);
            try {
                m.warmUp = !options.warmUp() ? new WarmUp.Result(0, 0, null, 0, "not asked for")
                        : options.warmUpInputs() != null ? WarmUp.onInputs(m, options.warmUpInputs()) : WarmUp.run(m, model.graph().inputs());
            } catch (RuntimeException e) {
                m.close();
                throw e;
            }
            return m;
        } catch (IOException e) {
            throw OneLine.of(e);
        }
    }

    /** Bytes the packed ternary weights occupy in memory (for the bits-per-weight budget). */
    public long packedWeightBytes() {
        return graph.packedBytes();
    }

    /** Ternary weights of layers without a packed kernel (ConvTranspose), dequantized at load and run in float: not in {@link #packedWeightBytes}. */
    public long floatTernaryWeights() {
        return graph.floatTernaryWeights();
    }

    /** How many of the layers with packed ternary weights take int8 activations with this model's {@link Options#activations}. */
    public Graph.ActivationUse activationUse() {
        return graph.activationUse(activations);
    }

    /** {@link #packedWeightBytes} as codes (with layout tables), scales and conv biases. */
    public WeightBytes packedWeightParts() {
        return graph.weightBytes();
    }

    public List<String> inputNames() {
        return graph.inputNames();
    }

    public List<String> outputNames() {
        return graph.outputNames();
    }

    /** Runs the graph; {@code inputs} must name every graph input. Returns the graph outputs by name. */
    public Map<String, Tensor> run(Map<String, Tensor> inputs) {
        return batchSplit ? graph.run(inputs, activations, par) : graph.runWhole(inputs, activations, par);
    }

    /**
     * Whether a batch of this many examples runs as one part per thread, each through the whole
     * graph (see {@link Graph#run}): false until a run of that size on several threads has
     * compared the two ways, for good where the model does not declare a batch or the split gave
     * other bits at that size, and always on one thread.
     */
    public boolean splitsBatches(int batch) {
        return batchSplit && graph.splitsBatches(batch, par.threads());
    }

    /** What this model's thread pool has done so far (shared calls, parked workers, start delays), for benchmarks. */
    public Parallel.Stats poolStats() {
        return par.stats();
    }

    /** Runs the graph like {@link #run}, adding each operator's CPU time on the calling thread (nanoseconds) to {@code nanosByOp}. */
    public Map<String, Tensor> profile(Map<String, Tensor> inputs, Map<String, Long> nanosByOp) {
        return graph.profile(inputs, activations, par, nanosByOp);
    }

    /** As {@link #profile}, by node: its name, operator (kernel) and first input's shape. */
    public Map<String, Tensor> profileNodes(Map<String, Tensor> inputs, Map<Graph.NodeKey, Long> nanosByNode) {
        return graph.profileNodes(inputs, activations, par, nanosByNode);
    }

    /**
     * Ends the model's worker threads (their working arrays go with them) and drops the arrays
     * the calling thread kept for reuse between runs ({@link Buffers}, {@link Scratch}): a process
     * that ran a large batch would otherwise hold that working set after the model is gone. Other
     * models the thread runs allocate theirs afresh on their next run.
     */
    @Override
    public void close() {
        par.close();
        Buffers.release();
        Scratch.release();
    }
}

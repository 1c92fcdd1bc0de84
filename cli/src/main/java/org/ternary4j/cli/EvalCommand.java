package org.ternary4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.eval.ort.EvalResult;
import org.ternary4j.eval.ort.Evaluator;
import org.ternary4j.eval.ort.OrtModel;
import org.ternary4j.eval.ort.OrtSessions;
import org.ternary4j.formats.onnx.NBitsBlocks;
import org.ternary4j.formats.onnx.OnnxModel;
import org.ternary4j.formats.onnx.OnnxNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ternary4j eval MODEL.onnx --data …}: top-1 accuracy, and agreement with a second model. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Evaluate an ONNX model with ONNX Runtime: top-1 accuracy on labelled data, and with --compare, "
                + "agreement and output cosine against a second model (labels optional). A model with a fixed batch size "
                + "runs at that size whatever --batch says.")
final class EvalCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL.onnx", description = "The model to evaluate.")
    Path model;

    @Mixin DataOptions data;

    @Option(names = "--compare", paramLabel = "OTHER.onnx", description = "A second model to compare with (e.g. the ternarized one).")
    Path compare;

    @Mixin BatchOption batch = BatchOption.defaulting(Evaluator.DEFAULT_BATCH);

    @Mixin ThreadsOption threads;

    @Option(names = "--output", paramLabel = "NAME", description = "Model output to score (default: the first).")
    String output;

    @Option(names = "--dim", paramLabel = "NAME=SIZE",
            description = "Fix a symbolic input dimension by its ONNX name, e.g. --dim sequence_length=32 (repeatable; a name no input has is an error).")
    Map<String, Long> dims = new LinkedHashMap<>();

    @Option(names = "--lut-gemm", description = "Run 2-bit MatMulNBits weights (quantize --format matmulnbits) with ONNX Runtime's "
            + "table-lookup kernel (session configuration mlas.use_lut_gemm=1).")
    boolean lutGemm;

    @Mixin JsonOption json;

    @Override
    public Integer call() throws Exception {
        new PathGuard().model(model).model(compare).data(data.data).input(data.labels).check();
        if (lutGemm) {
            refuseLutOverrun(model);
            if (compare != null) refuseLutOverrun(compare);
        }
        Map<String, String> config = lutGemm ? OrtSessions.LUT_GEMM : Map.of();
        try (OrtModel a = OrtModel.open(model, threads.count, output, dims, config);
             OrtModel b = compare == null ? null : OrtModel.open(compare, threads.count, output, dims, config)) {
            Dataset d = data.load(a);
            EvalResult r = b == null ? Evaluator.evaluate(a, d, batch.size) : Evaluator.compare(a, b, d, batch.size);
            PrintWriter out = spec.commandLine().getOut();
            out.println(json.on ? toJson(r) : toText(r, d));
            out.flush();
        }
        return 0;
    }

    /** A MatMulNBits weight on which the table-lookup kernel would overrun its buffers and abort the JVM ({@link NBitsBlocks#lutKernelOverruns}). */
    private static void refuseLutOverrun(Path file) throws IOException {
        try (OnnxModel m = OnnxModel.read(file)) {
            for (OnnxNode n : m.graph().nodes()) {
                if (!n.opType().equals("MatMulNBits")) continue;
                long k = n.intAttr("K", 0), block = n.intAttr("block_size", 0);
                if (NBitsBlocks.lutKernelOverruns(k, block)) {
                    throw new IllegalArgumentException(file + ": MatMulNBits node '" + n.label() + "' has K=" + k + " in blocks of " + block
                            + " with the last one padded, on which ONNX Runtime's table-lookup kernel overruns its buffers and aborts;"
                            + " run without --lut-gemm, or re-export with 'ternary4j quantize --format matmulnbits', which avoids such blocks");
                }
            }
        }
    }

    static String toJson(EvalResult r) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("top1", r.top1());
        m.put("n", r.n());
        if (r.compare() != null) {
            EvalResult.Comparison c = r.compare();
            Map<String, Object> cm = new LinkedHashMap<>();
            cm.put("model", c.model());
            cm.put("top1", c.top1());
            cm.put("agreement", c.agreement());
            cm.put("meanCosine", finiteOrNull(c.meanCosine()));
            cm.put("minCosine", finiteOrNull(c.minCosine()));
            cm.put("nonFinite", c.nonFinite());
            m.put("compare", cm);
        }
        return new ObjectMapper().writeValueAsString(m);
    }

    private static Double finiteOrNull(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private String toText(EvalResult r, Dataset d) {
        StringBuilder s = new StringBuilder();
        s.append(model).append(": ").append(r.top1() == null ? "no labels, no accuracy" : "top-1 " + pct(r.top1()))
                .append(" on ").append(r.n()).append(" examples of ").append(d.source());
        if (r.compare() != null) {
            EvalResult.Comparison c = r.compare();
            s.append('\n').append(c.model()).append(": ").append(c.top1() == null ? "" : "top-1 " + pct(c.top1()) + ", ")
                    .append("arg-max agreement ").append(pct(c.agreement()))
                    .append(String.format(Locale.ROOT, ", output cosine mean %.6f min %.6f", c.meanCosine(), c.minCosine()));
            if (c.nonFinite() > 0) s.append(", ").append(c.nonFinite()).append(" examples with NaN/Inf outputs");
        }
        return s.toString();
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%.2f %%", 100 * v);
    }
}

package org.ternary4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ternary4j.formats.data.DataSources;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.eval.ort.EvalResult;
import org.ternary4j.eval.ort.Evaluator;
import org.ternary4j.eval.ort.OnnxModel;
import org.ternary4j.eval.ort.RandomInputs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ternary4j eval MODEL.onnx --data …}: top-1 accuracy, and agreement with a second model. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Evaluate an ONNX model with ONNX Runtime: top-1 accuracy on labelled data, and with --compare, "
                + "agreement and output cosine against a second model (labels optional).")
final class EvalCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL.onnx", description = "The model to evaluate.")
    Path model;

    @Option(names = "--data", required = true, paramLabel = "DATA",
            description = "fashion-mnist (test split; fashion-mnist:train for the training split), an IDX folder, "
                    + "an .npz (x, optional y; or arrays named after the model inputs), an .npy or IDX file, "
                    + "or random:N[:SEED] (synthetic inputs, for --compare without data). IDX images are scaled "
                    + "to [0,1] (x/255) in NCHW and reshaped to the model's input; NPY/NPZ values are used as stored.")
    String data;

    @Option(names = "--labels", paramLabel = "L.npy", description = "Class labels (.npy or IDX) for an .npy/IDX input file.")
    Path labels;

    @Option(names = "--limit", paramLabel = "N", description = "Evaluate only the first N examples.")
    Integer limit;

    @Option(names = "--compare", paramLabel = "OTHER.onnx", description = "A second model to compare with (e.g. the ternarized one).")
    Path compare;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "" + Evaluator.DEFAULT_BATCH,
            description = "Examples per run (a model with a fixed batch size uses its own; default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--threads", paramLabel = "T", defaultValue = "1",
            description = "ONNX Runtime intra-op threads (default ${DEFAULT-VALUE}); results do not depend on it beyond float rounding.")
    int threads;

    @Option(names = "--output", paramLabel = "NAME", description = "Model output to score (default: the first).")
    String output;

    @Option(names = "--dim", paramLabel = "NAME=SIZE",
            description = "Fix a symbolic input dimension by its ONNX name, e.g. --dim sequence_length=32 (repeatable).")
    Map<String, Long> dims = new LinkedHashMap<>();

    @Option(names = "--json", description = "Print {\"top1\": …, \"n\": …, \"compare\": {…}} instead of text.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (limit != null && limit < 1) throw new IllegalArgumentException("--limit must be ≥ 1, got " + limit);
        try (OnnxModel a = OnnxModel.open(model, threads, output, dims);
             OnnxModel b = compare == null ? null : OnnxModel.open(compare, threads, output, dims)) {
            Dataset d = RandomInputs.fromSpec(data, a);
            if (d == null) d = DataSources.load(data, labels);
            else if (labels != null) throw new IllegalArgumentException("--labels makes no sense with --data " + data);
            if (limit != null) d = d.limit(limit);
            EvalResult r = b == null ? Evaluator.evaluate(a, d, batch) : Evaluator.compare(a, b, d, batch);
            PrintWriter out = spec.commandLine().getOut();
            out.println(json ? toJson(r) : toText(r, d));
            out.flush();
        }
        return 0;
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

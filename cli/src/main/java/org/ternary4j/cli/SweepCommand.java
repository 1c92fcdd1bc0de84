package org.ternary4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.ternary4j.formats.data.DataSources;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.onnx.NamePattern;
import org.ternary4j.formats.onnx.OnnxOptions;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Projections;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Ternarize an ONNX model with several methods × groupings (no retraining), evaluate each and tabulate accuracy and size.")
final class SweepCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL.onnx", description = "Full-precision ONNX model (never modified).")
    Path model;

    @Option(names = "--methods", split = ",", defaultValue = "tnt,tnt-tuned,two-scale,twn,absmean", description = "Default: ${DEFAULT-VALUE}.")
    List<String> methods;

    @Option(names = "--groupings", split = ",", defaultValue = "row,kernel", description = "Default: ${DEFAULT-VALUE}.")
    List<String> groupings;

    @Option(names = "--data", required = true, paramLabel = "DATA", description = "fashion-mnist, an IDX folder, or an .npz/.npy file.")
    String data;

    @Option(names = "--limit", paramLabel = "N", description = "Evaluate on the first N examples only.")
    Integer limit;

    @Option(names = "--all-layers", description = "Also ternarize the first and last weight layers.")
    boolean allLayers;

    @Option(names = "--fold-bn", description = "Fold BatchNormalization into the ternary scales first.")
    boolean foldBn;

    @Option(names = "--exclude", split = ",", paramLabel = "PATTERN", description = "Weights or nodes to keep full precision.")
    List<String> exclude = List.of();

    @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime and ternarization threads. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--json", description = "One JSON object per row instead of the table.")
    boolean json;

    @Option(names = "--html", paramLabel = "FILE.html", description = "Also write an HTML report.")
    Path html;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        methods.forEach(Projections::parse);
        groupings.forEach(Grouping::parse);
        Dataset d = DataSources.load(data, null);
        if (limit != null) d = d.limit(limit);
        OnnxOptions base = OnnxOptions.of(Projections.parse(methods.getFirst()), Grouping.parse(groupings.getFirst()))
                .withAllLayers(allLayers).withFoldBn(foldBn).withExclude(exclude.stream().map(NamePattern::parse).toList())
                .withThreads(threads).withPacking(Sweep.defaultPacking());
        Sweep.Plan plan = new Sweep.Plan(model, methods, groupings, base, d, threads);
        Path work = Path.of(System.getProperty("java.io.tmpdir"));
        var rows = Sweep.run(plan, work, json ? null : new java.io.PrintWriter(System.err, true));
        var out = spec.commandLine().getOut();
        if (json) {
            ObjectMapper m = new ObjectMapper();
            for (Sweep.Row r : rows) {
                ObjectNode o = m.createObjectNode();
                o.put("method", r.method());
                o.put("grouping", r.grouping());
                o.put("n", r.accuracy().n());
                o.put("fpTop1", r.accuracy().fpTop1());
                o.put("top1", r.accuracy().ternaryTop1());
                o.put("agreement", r.accuracy().agreement());
                o.put("meanCosine", r.accuracy().meanCosine());
                o.put("bitsPerWeight", r.bitsPerWeight());
                o.put("fpBytes", r.fpBytes());
                o.put("packedBytes", r.packedBytes());
                out.println(m.writeValueAsString(o));
            }
        } else {
            Sweep.printTable(rows, out);
        }
        if (html != null) {
            Sweep.writeHtml(html, plan, rows, work);
            if (!json) out.println("HTML report: " + html);
        }
        out.flush();
        return 0;
    }
}

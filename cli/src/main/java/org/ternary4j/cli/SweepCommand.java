package org.ternary4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.onnx.NamePattern;
import org.ternary4j.formats.onnx.OnnxOptions;
import org.ternary4j.ptq.TaskAccuracy;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Projections;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

    @Mixin DataOptions data;

    @Option(names = "--all-layers", description = "Also ternarize the first and last weight layers.")
    boolean allLayers;

    @Option(names = "--fold-bn", description = "Fold BatchNormalization into the ternary scales first.")
    boolean foldBn;

    @Option(names = "--exclude", split = ",", paramLabel = "PATTERN", description = "Weights or nodes (or kind:KIND, e.g. kind:depthwise) to keep full precision.")
    List<String> exclude = List.of();

    @Mixin ThreadsOption threads;

    @Mixin JsonOption json;

    @Mixin HtmlOption html;

    @Mixin ProgressOptions progress;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        new PathGuard().model(model).data(data.data).input(data.labels).output(html.file).check();
        methods.forEach(Projections::parse);
        groupings.forEach(Grouping::parse);
        Dataset d = data.load(model);
        OnnxOptions base = OnnxOptions.of(Projections.parse(methods.getFirst()), Grouping.parse(groupings.getFirst()))
                .withAllLayers(allLayers).withFoldBn(foldBn).withExclude(exclude.stream().map(NamePattern::parse).toList())
                .withThreads(threads.count).withPacking(Sweep.defaultPacking());
        Sweep.Plan plan = new Sweep.Plan(model, methods, groupings, base, d, threads.count);
        Path work = Path.of(System.getProperty("java.io.tmpdir"));
        var rows = Sweep.run(plan, work, json.on || !progress.lines() ? null : new PrintWriter(System.err, true));
        PrintWriter out = spec.commandLine().getOut();
        if (json.on) {
            ObjectMapper m = new ObjectMapper();
            for (Sweep.Row r : rows) out.println(m.writeValueAsString(JsonRow.of(r)));
        } else {
            Sweep.printTable(rows, out);
        }
        if (html.file != null) {
            Sweep.writeHtml(html.file, plan, rows, work);
            if (!json.on) out.println("HTML report: " + html.file);
        }
        out.flush();
        return 0;
    }

    /** A row as {@code --json} prints it, fields in this order. */
    record JsonRow(String method, String grouping, int n, Double fpTop1, Double top1, double agreement, double meanCosine,
            double bitsPerWeight, long fpBytes, long packedBytes) {
        static JsonRow of(Sweep.Row r) {
            TaskAccuracy a = r.accuracy();
            return new JsonRow(r.method(), r.grouping(), a.n(), a.fpTop1(), a.ternaryTop1(), a.agreement(), a.meanCosine(),
                    r.bitsPerWeight(), r.fpBytes(), r.packedBytes());
        }
    }
}

package org.ternary4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Projections;
import org.ternary4j.formats.data.DataSources;
import org.ternary4j.formats.data.Dataset;
import org.ternary4j.formats.onnx.OnnxOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The first thing a new user runs: the bundled LeNet-5 (trained by this project on
 * Fashion-MNIST) ternarized with each post-training method, evaluated on the 10 000 test
 * images, with size, compression and an HTML report — and how to fine-tune when that is not enough.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Ternarize the bundled Fashion-MNIST LeNet-5 with every post-training method, evaluate, report "
                + "(to .cache/demo/report.html unless --html says otherwise).")
final class DemoCommand implements Callable<Integer> {
    static final String MODEL = "models/lenet5-fmnist.onnx";

    @Option(names = "--model", paramLabel = "MODEL.onnx", description = "Default: the bundled " + MODEL + ".")
    Path model;

    @Option(names = "--limit", paramLabel = "N", converter = Positive.class, description = "Evaluate on the first N test images only (default: all 10 000).")
    Integer limit;

    @Option(names = "--calibration-images", defaultValue = "4096", paramLabel = "N", converter = Positive.class,
            description = "Unlabeled training images for the calibrated row. Default: ${DEFAULT-VALUE}.")
    int calibrationImages;

    @Mixin ProgressOptions progress;
    @Mixin HtmlOption html;
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Path root = Path.of(System.getProperty("t4j.root", ".")).toAbsolutePath().normalize();
        Path m = model != null ? model : root.resolve(MODEL);
        Path report = html.file != null ? html.file : root.resolve(".cache/demo/report.html");
        // The default report goes to the demo's own folder in the project cache, which a fresh clone lacks;
        // a folder the user names must exist, as for every other output.
        if (html.file == null) Files.createDirectories(report.toAbsolutePath().getParent());
        new PathGuard().model(m).output(report).check();
        PrintWriter out = spec.commandLine().getOut();
        Dataset test = DataSources.load("fashion-mnist", null);
        if (limit != null) test = test.limit(limit);
        List<String> methods = List.of("tnt", "tnt-tuned", "two-scale", "twn", "absmean");
        List<String> groupings = List.of("row", "kernel");
        Path shown = m.toAbsolutePath().normalize().startsWith(root) ? root.relativize(m.toAbsolutePath().normalize()) : m;
        out.printf("ternary4j demo: %s, first and last layer kept full precision, no retraining%n", shown);
        out.printf("evaluating %d methods x %d groupings on %d Fashion-MNIST test images...%n", methods.size(), groupings.size(), test.count());
        out.flush();
        OnnxOptions base = OnnxOptions.of(Projections.parse("tnt"), Grouping.parse("row")).withPacking(Sweep.defaultPacking());
        Sweep.Plan plan = new Sweep.Plan(m, methods, groupings, base, test, 1);
        Path work = Path.of(System.getProperty("java.io.tmpdir"));
        List<Sweep.Row> rows = new java.util.ArrayList<>(Sweep.run(plan, work, progress.lines() ? new PrintWriter(System.err, true) : null));
        // The best no-retraining result: the same projection refined on 4096 unlabeled training images.
        rows.add(Sweep.measure(plan, "tnt", "kernel", "fashion-mnist:" + calibrationImages, work));
        out.println();
        Sweep.printTable(rows, out);
        Sweep.writeHtml(report, plan, rows, work);
        Sweep.Row best = Sweep.best(rows);
        out.printf("%nbest: %s with %s grouping; the packed model is %.1fx smaller than FP32 (%d KB -> %.1f KB).%n", best.label(), best.grouping(),
                best.compression(), best.fpBytes() / 1024, best.packedBytes() / 1024.0);
        out.println("HTML report: " + report.toAbsolutePath());
        out.println();
        out.println("tnt+calib = TNT refined on unlabeled training images (ternary4j quantize ... --calibrate fashion-mnist); test images are never used for it.");
        out.println("Not close enough to full precision? Fine-tune with quantization-aware training, e.g.:");
        out.println("  ./ternary4j train --method ttq --init " + MODEL + " --epochs 5 -o lenet5-ttq.onnx");
        out.println("  ./ternary4j eval lenet5-ttq.onnx --data fashion-mnist");
        out.flush();
        return 0;
    }
}

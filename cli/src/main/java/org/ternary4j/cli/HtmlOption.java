package org.ternary4j.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --html}: where to write the self-contained HTML report. */
final class HtmlOption {
    @Option(names = "--html", paramLabel = "FILE.html",
            description = "Write a self-contained HTML report (accuracy, layers, histograms, size) to FILE.html.")
    Path file;
}

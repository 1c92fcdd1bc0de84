package org.ternary4j.cli;

import picocli.CommandLine.Option;

/** {@code --batch}: examples per model run; the default is the command's own (one for latency, more for throughput). */
final class BatchOption {
    @Option(names = "--batch", paramLabel = "B", converter = Positive.class, description = "Examples per model run (default ${DEFAULT-VALUE}).")
    int size = 1;

    static BatchOption defaulting(int size) {
        var option = new BatchOption();
        option.size = size;
        return option;
    }
}

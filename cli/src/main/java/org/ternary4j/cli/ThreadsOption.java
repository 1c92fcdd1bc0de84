package org.ternary4j.cli;

import picocli.CommandLine.Option;

/** {@code --threads}: how many threads a command works with; no result depends on the count beyond float rounding. */
final class ThreadsOption {
    @Option(names = "--threads", paramLabel = "T", converter = Positive.class,
            description = "Worker threads (default ${DEFAULT-VALUE}); results do not depend on the count beyond float rounding.")
    int count = 1;

    /** For work that splits by tensor or layer: every processor unless the user says otherwise. */
    static ThreadsOption allProcessors() {
        ThreadsOption all = new ThreadsOption();
        all.count = Runtime.getRuntime().availableProcessors();
        return all;
    }
}

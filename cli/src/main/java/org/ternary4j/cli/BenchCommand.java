package org.ternary4j.cli;

import picocli.CommandLine.Command;

/** {@code ternary4j bench …}: the benchmarks behind every speed claim in the README. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks that print medians and ratios side by side in one run.",
        subcommands = {BenchProjectionCommand.class, KernelsBenchCommand.class, StreamingBenchCommand.class})
final class BenchCommand {
}

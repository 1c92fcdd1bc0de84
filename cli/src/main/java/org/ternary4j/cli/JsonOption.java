package org.ternary4j.cli;

import picocli.CommandLine.Option;

/** {@code --json}: machine-readable results on stdout. */
final class JsonOption {
    @Option(names = "--json", description = "Print JSON instead of text, one object per line.")
    boolean on;
}

package org.ternary4j.cli;

/**
 * A command line that picocli parsed but that lacks what a command requires only in some uses
 * (quantize's {@code --grouping}, which GGUF output does without): reported like picocli's own
 * usage errors, one line ending in where the help is, exit code {@link Errors#USAGE}.
 */
final class UsageError extends IllegalArgumentException {
    UsageError(String problem, String command) {
        super(problem + "; see '" + command + " --help'");
    }
}

package org.ternary4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ternary4j} command: one subcommand per job. */
@Command(name = "ternary4j", mixinStandardHelpOptions = true, version = Main.VERSION,
        description = "Ternarize neural networks (weights in {-1, 0, +1} times a scale), evaluate and run them.",
        subcommands = {CommandLine.HelpCommand.class, QuantizeCommand.class, EvalCommand.class, SweepCommand.class, TrainCommand.class, FinetuneCommand.class, RunCommand.class, DemoCommand.class, BenchCommand.class, TaskCommand.class})
public final class Main {
    static final String VERSION = "ternary4j 0.1.0";

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code; errors become one line on stderr. */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler(Errors::report);
        cli.setParameterExceptionHandler(Errors::usage);
        versionEverywhere(cli);
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            // outputs are temporary files until committed, so nothing partial is left behind
            System.err.printf("ternary4j: out of Java heap (at most %d MB); raise it with T4J_JAVA_OPTS=-Xmx<size>%n",
                    Runtime.getRuntime().maxMemory() >> 20);
            return Errors.INTERNAL;
        }
    }

    /** Every subcommand's {@code -V} prints the one version (picocli leaves theirs empty). */
    private static void versionEverywhere(CommandLine cli) {
        for (CommandLine sub : cli.getSubcommands().values()) {
            sub.getCommandSpec().version(VERSION);
            versionEverywhere(sub);
        }
    }
}

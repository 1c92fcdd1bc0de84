package org.ternary4j.cli;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ternary4j} command: one subcommand per job. */
@Command(name = "ternary4j", mixinStandardHelpOptions = true, version = Main.VERSION,
        description = "Ternarize neural networks (weights in {-1, 0, +1} times a scale), evaluate and run them.")
public final class Main {
    static final String VERSION = "ternary4j 0.1.0";

    /** Every command, in the order the help lists them. */
    private static final List<Class<?>> COMMANDS = List.of(CommandLine.HelpCommand.class, QuantizeCommand.class, EvalCommand.class, SweepCommand.class,
            TrainCommand.class, FinetuneCommand.class, RunCommand.class, DemoCommand.class, BenchCommand.class, TaskCommand.class);

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code; errors become one line on stderr. */
    public static int run(String... args) {
        CommandLine cli = commandLine(args);
        cli.setExecutionExceptionHandler(Errors::report);
        cli.setParameterExceptionHandler(Errors::usage);
        cli.setCaseInsensitiveEnumValuesAllowed(true); // --activations auto as well as AUTO
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

    /**
     * The command line for these arguments: when the first names a command, only that command is
     * built. picocli reads every option of every command it is given by reflection, which for all
     * of them took more CPU time than a whole short quantize; the full tree is built for help,
     * suggestions and mistakes only.
     */
    static CommandLine commandLine(String... args) {
        CommandLine cli = new CommandLine(new Main());
        String first = args.length > 0 ? args[0] : "";
        Class<?> named = COMMANDS.stream().filter(c -> c != CommandLine.HelpCommand.class && name(c).equals(first)).findFirst().orElse(null);
        // Built by the public constructor, which applies a command's model transformer (added as a
        // class, it would not be: picocli applies them only to the tree a user constructs).
        for (Class<?> c : named != null ? List.of(named) : COMMANDS) cli.addSubcommand(new CommandLine(c));
        return cli;
    }

    private static String name(Class<?> command) {
        return command.getAnnotation(Command.class).name();
    }

    /** Every subcommand's {@code -V} prints the one version (picocli leaves theirs empty). */
    private static void versionEverywhere(CommandLine cli) {
        for (CommandLine sub : cli.getSubcommands().values()) {
            sub.getCommandSpec().version(VERSION);
            versionEverywhere(sub);
        }
    }
}

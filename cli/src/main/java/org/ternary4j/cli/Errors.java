package org.ternary4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Turns any failure into one line on stderr and a non-zero exit code. Users of a command-line
 * tool want the file and the problem, not a stack trace or eighty lines of usage;
 * {@code T4J_DEBUG=1} shows the trace.
 */
final class Errors {
    static final int BAD_INPUT = 1;
    /** A command line picocli cannot parse (picocli's own convention). */
    static final int USAGE = 2;
    static final int INTERNAL = 3;

    private Errors() {}

    static int report(Exception e, CommandLine cli, ParseResult parsed) {
        if (System.getenv("T4J_DEBUG") != null) e.printStackTrace(cli.getErr());
        cli.getErr().println("ternary4j: " + message(e));
        cli.getErr().flush();
        if (e instanceof UsageError) return USAGE;
        return e instanceof IllegalArgumentException || e instanceof IOException || e instanceof UncheckedIOException ? BAD_INPUT : INTERNAL;
    }

    /** A warning: one line on stderr, as an error would be, and the command goes on. */
    static void warn(CommandLine cli, String message) {
        cli.getErr().println("ternary4j: " + message);
        cli.getErr().flush();
    }

    /** A command line that does not parse: what is wrong, and where the help is, on one line. */
    static int usage(ParameterException e, String[] args) {
        CommandLine cli = e.getCommandLine();
        PrintWriter err = cli.getErr();
        if (System.getenv("T4J_DEBUG") != null) e.printStackTrace(err);
        err.println("ternary4j: " + usageMessage(e) + "; see '" + cli.getCommandSpec().qualifiedName() + " --help'");
        err.flush();
        return USAGE;
    }

    static String usageMessage(ParameterException e) {
        CommandLine cli = e.getCommandLine();
        String message = String.valueOf(e.getMessage());
        // picocli checks required arguments before it complains about unknown ones; the unknown one is the real mistake.
        List<String> unmatched = e instanceof UnmatchedArgumentException u ? u.getUnmatched() : cli.getUnmatchedArguments();
        if (!unmatched.isEmpty()) return unknown(cli, unmatched.getFirst(), e);
        if (e instanceof MissingParameterException m && !m.getMissing().isEmpty()) {
            List<ArgSpec> missing = m.getMissing();
            if (message.startsWith("Missing required parameter for option")) return "option '" + name(missing.getFirst()) + "' needs a value";
            boolean options = missing.stream().allMatch(ArgSpec::isOption);
            String what = options ? "option" : missing.stream().noneMatch(ArgSpec::isOption) ? "parameter" : "argument";
            return "missing required " + what + (missing.size() > 1 ? "s " : " ")
                    + missing.stream().map(a -> "'" + name(a) + "'").collect(Collectors.joining(", "));
        }
        if (!cli.getSubcommands().isEmpty() && message.startsWith("Missing required subcommand")) {
            return "missing command (" + String.join(", ", commands(cli)) + ")";
        }
        String text = firstLine(message);
        return text.isEmpty() ? text : text.substring(0, 1).toLowerCase(Locale.ROOT) + text.substring(1);
    }

    private static String unknown(CommandLine cli, String arg, ParameterException e) {
        String what = arg.startsWith("-") ? "unknown option" : cli.getSubcommands().isEmpty() ? "unexpected argument" : "unknown command";
        List<String> suggestions = e instanceof UnmatchedArgumentException u ? u.getSuggestions() : List.of();
        return what + " '" + arg + "'" + (suggestions.isEmpty() ? "" : " (did you mean " + String.join(" or ", suggestions) + "?)");
    }

    private static String name(ArgSpec a) {
        return a instanceof OptionSpec o ? o.longestName() : a.paramLabel();
    }

    private static List<String> commands(CommandLine cli) {
        return cli.getSubcommands().keySet().stream().filter(n -> !n.equals("help")).toList();
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }

    static String message(Throwable e) {
        if (e instanceof UncheckedIOException u) e = u.getCause();
        if (e instanceof NoSuchFileException n) return n.getFile() + ": no such file";
        if (e instanceof AccessDeniedException a) return a.getFile() + ": permission denied";
        if (e instanceof IllegalArgumentException || e instanceof IOException) {
            return e.getMessage() != null ? e.getMessage() : e.toString();
        }
        return "internal error: " + e + " (run with T4J_DEBUG=1 for the stack trace)";
    }
}

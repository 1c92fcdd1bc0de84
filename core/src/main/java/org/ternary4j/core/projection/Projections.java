package org.ternary4j.core.projection;

import java.util.List;

/** Parses the CLI spellings of the projections: {@code name} or {@code name:parameter}. */
public final class Projections {
    /** Every spelling a user can type, with what the parameter means. */
    public static final List<String> HELP = List.of(
            "tnt            exact cosine / least-squares optimum (TNT), LS scale",
            "tnt:norm       TNT support with TNT's norm-matching scale ‖w‖/‖t‖",
            "tnt-tuned      TNT support + TNT scalar tuning (two scales)",
            "two-scale      exact joint optimum over codes and two scales",
            "twn[:f]        TWN, threshold f·mean|w| (f = 0.7)",
            "threshold[:r]  TTQ/SYQ threshold r·max|w| (r = 0.05), LS scale",
            "absmean        BitNet b1.58 absmean",
            "sparsity[:p]   keep the ⌈(1−p)·N⌉ largest |w| (p = 0.5), LS scale",
            "tga[:r]        TGA truncated-Gaussian rule with δ = r·max|w| (r = 0.05)");

    private Projections() {}

    public static Projection parse(String spec) {
        String s = spec.trim();
        int colon = s.indexOf(':');
        String name = colon < 0 ? s : s.substring(0, colon);
        String arg = colon < 0 ? null : s.substring(colon + 1);
        return switch (name) {
            case "tnt" -> {
                if (arg != null && !arg.equals("norm") && !arg.equals("ls")) throw bad(spec, "tnt takes ':norm' or ':ls'");
                yield new Tnt("norm".equals(arg));
            }
            case "tnt-tuned" -> noArg(spec, arg, new TntTuned());
            case "two-scale" -> noArg(spec, arg, new TwoScale());
            case "absmean" -> noArg(spec, arg, new Absmean());
            case "twn" -> new Twn(number(spec, arg, Twn.PAPER_FACTOR));
            case "threshold" -> new Threshold(number(spec, arg, Threshold.DEFAULT_RATIO));
            case "sparsity" -> new Sparsity(number(spec, arg, Sparsity.DEFAULT_SPARSITY));
            case "tga" -> new Tga(number(spec, arg, Tga.DEFAULT_DELTA_RATIO));
            default -> throw bad(spec, "unknown method; one of: tnt, tnt-tuned, two-scale, twn, threshold, absmean, sparsity, tga");
        };
    }

    private static Projection noArg(String spec, String arg, Projection p) {
        if (arg != null) throw bad(spec, "takes no parameter");
        return p;
    }

    private static double number(String spec, String arg, double dflt) {
        if (arg == null) return dflt;
        try {
            return Double.parseDouble(arg);
        } catch (NumberFormatException e) {
            throw bad(spec, "'" + arg + "' is not a number");
        }
    }

    private static IllegalArgumentException bad(String spec, String why) {
        return new IllegalArgumentException("method '" + spec + "': " + why);
    }
}

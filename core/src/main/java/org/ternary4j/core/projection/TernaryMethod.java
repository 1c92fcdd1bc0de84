package org.ternary4j.core.projection;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Every method ternary4j offers, under the name users type, and where it exists: post-training
 * (a {@link Projection}, built by {@link Projections#parse}), in quantization-aware training, or
 * both. Each use carries its spelling with the parameter and its help line; the lists of known
 * names in error messages come from here too.
 */
public enum TernaryMethod {
    FP("fp", null, "full precision: no layer ternarized"),
    TNT("tnt",
            post("tnt[:norm]", "exact cosine / least-squares optimum (TNT); :norm for its ‖w‖/‖t‖ scale",
                    s -> new Tnt("norm".equals(s.choice("norm", "ls")))),
            "TNT's exact projection of the latent weights every step, identity STE"),
    TNT_TUNED("tnt-tuned",
            post("tnt-tuned", "TNT support + TNT scalar tuning (two scales)", s -> s.none(new TntTuned())),
            null),
    TWO_SCALE("two-scale",
            post("two-scale", "exact joint optimum over codes and two scales", s -> s.none(new TwoScale())),
            "the exact two-scale projection every step, identity STE"),
    TWN("twn",
            post("twn[:f]", "TWN, threshold f·mean|w| (f = " + Twn.PAPER_FACTOR + ")", s -> new Twn(s.number(Twn.PAPER_FACTOR))),
            "TWN, Δ = " + Twn.PAPER_FACTOR + "·mean|w| every step, identity STE"),
    THRESHOLD("threshold",
            post("threshold[:r]", "TTQ/SYQ threshold r·max|w| (r = " + Threshold.DEFAULT_RATIO + "), LS scale",
                    s -> new Threshold(s.number(Threshold.DEFAULT_RATIO))),
            null),
    TTQ("ttq", null, "TTQ: Δ = 0.05·max|w|, learned levels W_p, W_n"),
    SYQ("syq", null, "SYQ: η = 0.05·max|w|, one learned scale per group (kernel pixel or row)"),
    ABSMEAN("absmean", post("absmean", "BitNet b1.58 absmean: γ = mean|w|, codes round(w/γ) clipped", s -> s.none(new Absmean())), null),
    BITNET("bitnet", post("bitnet", "another name for absmean", s -> s.none(new Absmean())), null),
    SPARSITY("sparsity",
            post("sparsity[:p]", "keep the ⌈(1−p)·N⌉ largest |w| (p = " + Sparsity.DEFAULT_SPARSITY + "), LS scale",
                    s -> new Sparsity(s.number(Sparsity.DEFAULT_SPARSITY))),
            null),
    TGA("tga",
            post("tga[:r]", "TGA truncated-Gaussian rule with δ = r·max|w| (r = " + Tga.DEFAULT_DELTA_RATIO + ")",
                    s -> new Tga(s.number(Tga.DEFAULT_DELTA_RATIO))),
            "TGA: learned threshold δ, truncated-Gaussian scale");

    /** When a method runs. */
    public enum Stage {
        POST_TRAINING("post-training"),
        TRAINING("training");

        private final String label;

        Stage(String label) {
            this.label = label;
        }
    }

    /** How a method is spelled and built post-training. */
    public record PostTraining(String usage, String help, Function<Spelling, Projection> make) {}

    private final String cliName;
    private final PostTraining postTraining;
    private final String trainingHelp;

    /** {@code postTraining} or {@code trainingHelp} is null where the method does not exist. */
    TernaryMethod(String cliName, PostTraining postTraining, String trainingHelp) {
        this.cliName = cliName;
        this.postTraining = postTraining;
        this.trainingHelp = trainingHelp;
    }

    private static PostTraining post(String usage, String help, Function<Spelling, Projection> make) {
        return new PostTraining(usage, help, make);
    }

    public String cliName() {
        return cliName;
    }

    public boolean existsIn(Stage stage) {
        return stage == Stage.POST_TRAINING ? postTraining != null : trainingHelp != null;
    }

    /** The projection this spelling names; {@code s} must name this method and it must exist post-training. */
    Projection projection(Spelling s) {
        if (postTraining == null) throw new IllegalStateException(cliName + " has no post-training form");
        return postTraining.make().apply(s);
    }

    /** The method a spelling names in this stage, or an error that lists the stage's methods. */
    public static TernaryMethod find(Spelling s, Stage stage) {
        for (TernaryMethod m : values()) {
            if (!m.cliName.equals(s.name())) continue;
            if (!m.existsIn(stage)) {
                Stage other = stage == Stage.TRAINING ? Stage.POST_TRAINING : Stage.TRAINING;
                throw s.bad("unknown method for " + stage.label + " (" + m.cliName + " exists only in " + other.label + "); one of: " + names(stage));
            }
            if (stage == Stage.TRAINING && s.parameter() != null) throw s.bad("takes no parameter in training");
            return m;
        }
        throw s.bad("unknown method; one of: " + names(stage));
    }

    /** The training method {@code text} names (no parameters in training). */
    public static TernaryMethod forTraining(String text) {
        return find(Spelling.of(text), Stage.TRAINING);
    }

    /** The names that exist in a stage, comma-separated, in a stable order. */
    public static String names(Stage stage) {
        List<String> out = new ArrayList<>();
        for (TernaryMethod m : values()) if (m.existsIn(stage)) out.add(m.cliName);
        return String.join(", ", out);
    }

    /** One line per method of the stage: its spelling, then what it does. */
    public static List<String> help(Stage stage) {
        List<String> out = new ArrayList<>();
        for (TernaryMethod m : values()) {
            if (!m.existsIn(stage)) continue;
            String usage = stage == Stage.POST_TRAINING ? m.postTraining.usage() : m.cliName;
            String help = stage == Stage.POST_TRAINING ? m.postTraining.help() : m.trainingHelp;
            out.add(String.format(Locale.ROOT, "%-14s %s", usage, help));
        }
        return List.copyOf(out);
    }

    /** A method as typed: {@code name} or {@code name:parameter}. */
    public record Spelling(String text, String name, String parameter) {

        public static Spelling of(String text) {
            String s = text.trim();
            int colon = s.indexOf(':');
            return colon < 0 ? new Spelling(text, s, null) : new Spelling(text, s.substring(0, colon), s.substring(colon + 1));
        }

        /** The parameter as a number, or {@code dflt} when there is none. */
        double number(double dflt) {
            if (parameter == null) return dflt;
            try {
                return Double.parseDouble(parameter);
            } catch (NumberFormatException e) {
                throw bad("'" + parameter + "' is not a number");
            }
        }

        /** The parameter, which must be one of {@code allowed}; null when there is none. */
        String choice(String... allowed) {
            if (parameter == null || List.of(allowed).contains(parameter)) return parameter;
            throw bad("takes ':" + String.join("' or ':", allowed) + "'");
        }

        /** {@code p}, after checking that no parameter was given. */
        Projection none(Projection p) {
            if (parameter != null) throw bad("takes no parameter");
            return p;
        }

        IllegalArgumentException bad(String why) {
            return new IllegalArgumentException("method '" + text + "': " + why);
        }
    }
}

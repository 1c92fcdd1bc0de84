package org.ternary4j.formats.onnx;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A layer pattern for --include/--exclude. A glob by default: {@code *} matches any run of
 * characters (slashes and dots included, since ONNX names look like {@code /encoder/layer.0/MatMul}),
 * {@code ?} one character. A {@code re:} prefix takes a Java regular expression instead. Either
 * must match the whole weight name or the whole node name. A {@code kind:} prefix names a kind of
 * ONNX weight layer instead of a name ({@link #KINDS}), so a model's fourteen depthwise convs need
 * no list of their names.
 */
public record NamePattern(String spec, Pattern regex, String kind) {

    /**
     * The layer kinds: {@code depthwise} (a Conv with one input channel per group, group &gt; 1),
     * {@code grouped} (a Conv or ConvTranspose with group &gt; 1), and one per weight op.
     */
    public static final List<String> KINDS = List.of("depthwise", "grouped", "conv", "convtranspose", "gemm", "matmul", "gather");

    public static NamePattern parse(String spec) {
        if (spec.startsWith("kind:")) {
            String kind = spec.substring(5).toLowerCase(Locale.ROOT);
            if (!KINDS.contains(kind)) throw new IllegalArgumentException("pattern '" + spec + "': unknown layer kind (known: " + String.join(", ", KINDS) + ")");
            return new NamePattern(spec, null, kind);
        }
        try {
            if (spec.startsWith("re:")) return new NamePattern(spec, Pattern.compile(spec.substring(3)), null);
            StringBuilder re = new StringBuilder();
            for (char c : spec.toCharArray()) {
                if (c == '*') re.append(".*");
                else if (c == '?') re.append('.');
                else re.append(Pattern.quote(String.valueOf(c)));
            }
            return new NamePattern(spec, Pattern.compile(re.toString(), Pattern.DOTALL), null);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("pattern '" + spec + "': " + e.getDescription());
        }
    }

    /** Whether this is a {@code kind:} pattern, which only ONNX weight layers can match. */
    public boolean byKind() {
        return kind != null;
    }

    /** Whether one of {@code names} matches; a kind pattern matches no bare name. */
    public boolean matches(String... names) {
        if (kind != null) return false;
        for (String n : names) if (n != null && regex.matcher(n).matches()) return true;
        return false;
    }

    /** Whether the weight layer matches by its weight or node name, or by kind. */
    boolean matches(WeightLayer l) {
        if (kind == null) return matches(l.weightName(), l.nodeName());
        return switch (kind) {
            case "depthwise" -> l.op().equals("Conv") && l.group() > 1 && l.storedShape()[1] == 1;
            case "grouped" -> l.group() > 1;
            default -> l.op().toLowerCase(Locale.ROOT).equals(kind);
        };
    }

    /** Whether any of {@code patterns} matches one of {@code names}. */
    public static boolean any(List<NamePattern> patterns, String... names) {
        for (NamePattern p : patterns) if (p.matches(names)) return true;
        return false;
    }
}

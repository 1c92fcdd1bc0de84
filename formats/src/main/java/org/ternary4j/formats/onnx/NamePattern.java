package org.ternary4j.formats.onnx;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A layer-name pattern for --include/--exclude. A glob by default: {@code *} matches any run of
 * characters (slashes and dots included, since ONNX names look like {@code /encoder/layer.0/MatMul}),
 * {@code ?} one character. A {@code re:} prefix takes a Java regular expression instead. Either
 * must match the whole weight name or the whole node name.
 */
public record NamePattern(String spec, Pattern regex) {

    public static NamePattern parse(String spec) {
        try {
            if (spec.startsWith("re:")) return new NamePattern(spec, Pattern.compile(spec.substring(3)));
            StringBuilder re = new StringBuilder();
            for (char c : spec.toCharArray()) {
                if (c == '*') re.append(".*");
                else if (c == '?') re.append('.');
                else re.append(Pattern.quote(String.valueOf(c)));
            }
            return new NamePattern(spec, Pattern.compile(re.toString(), Pattern.DOTALL));
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("pattern '" + spec + "': " + e.getDescription());
        }
    }

    public boolean matches(String... names) {
        for (String n : names) if (n != null && regex.matcher(n).matches()) return true;
        return false;
    }

    /** Whether any of {@code patterns} matches one of {@code names}. */
    public static boolean any(java.util.List<NamePattern> patterns, String... names) {
        for (NamePattern p : patterns) if (p.matches(names)) return true;
        return false;
    }
}

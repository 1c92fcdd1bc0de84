package org.ternary4j.core.projection;

import java.util.List;
import org.ternary4j.core.projection.TernaryMethod.Spelling;
import org.ternary4j.core.projection.TernaryMethod.Stage;

/** Parses the spellings of the post-training methods: {@code name} or {@code name:parameter}. */
public final class Projections {
    /** Every spelling a user can type, with what the parameter means. */
    public static final List<String> HELP = TernaryMethod.help(Stage.POST_TRAINING);

    private Projections() {}

    public static Projection parse(String spec) {
        Spelling s = Spelling.of(spec);
        return TernaryMethod.find(s, Stage.POST_TRAINING).projection(s);
    }
}

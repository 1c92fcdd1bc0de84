package org.ternary4j.cli;

import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.core.projection.Projection;
import org.ternary4j.core.projection.Projections;
import picocli.CommandLine.Option;

/** How quantize ternarizes: method (with its scale rule), grouping, packing, scale precision and worker threads. */
final class QuantizeMethodOptions {
    @Option(names = "--method", required = true, paramLabel = "M", description = "Ternarization method (list below).")
    String method;

    @Option(names = "--scale", defaultValue = "ls", paramLabel = "ls|norm",
            description = "Scale rule for tnt: ls (least squares, default) or norm (TNT's norm matching, i.e. tnt:norm).")
    String scale;

    /** --scale norm turns tnt into tnt:norm; it means nothing for the other methods. */
    Projection projection() {
        switch (scale) {
            case "ls" -> {
                return Projections.parse(method);
            }
            case "norm" -> {
                String m = method.trim();
                if (m.equals("tnt") || m.equals("tnt:norm")) return Projections.parse("tnt:norm");
                throw new IllegalArgumentException("--scale norm applies only to --method tnt, not '" + method + "'");
            }
            default -> throw new IllegalArgumentException("--scale '" + scale + "': one of ls, norm");
        }
    }

    @Option(names = "--grouping", paramLabel = "G", description = "Which weights share a scale (list below); required except for GGUF output (always block:256).")
    String grouping;

    Grouping grouping() {
        if (grouping == null) throw new UsageError("missing required option '--grouping'", "ternary4j quantize");
        return Grouping.parse(grouping);
    }

    @Option(names = "--packing", defaultValue = "base3", paramLabel = "base3|2bit",
            description = "Code packing for --packed and for bits/weight: base3 (1.6 bits) or 2bit. Default: ${DEFAULT-VALUE}.")
    String packing;

    Packing packing() {
        return Packing.parse(packing);
    }

    @Option(names = "--scales", paramLabel = "f32|f16",
            description = "Precision of the ternary scales: f32 (default) or f16, every scale rounded to the nearest FP16 value as the last step, "
                    + "so the model, the packed file (F16 scales) and the runtime hold the same numbers. GGUF output always stores f16.")
    String scales;

    /** Whether scales are rounded to FP16; null when not given. */
    Boolean halfScales() {
        return halfScales(scales);
    }

    /** {@code --scales} as {@code quantize} and {@code finetune} read it: f16 true, f32 false, absent null. */
    static Boolean halfScales(String scales) {
        if (scales == null) return null;
        return switch (scales) {
            case "f32" -> false;
            case "f16" -> true;
            default -> throw new IllegalArgumentException("--scales '" + scales + "': one of f32, f16");
        };
    }

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: available processors). Output is identical for any N.")
    Integer threads;

    int threads() {
        int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (n < 1) throw new IllegalArgumentException("--threads must be ≥ 1");
        return n;
    }
}

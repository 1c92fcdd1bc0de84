package org.ternary4j.formats.onnx;

import java.util.Optional;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.GroupLayout;
import org.ternary4j.core.grouping.Grouping;

/**
 * Multiplies every output channel of a ternary tensor by its own factor (a folded BatchNorm's
 * γ/√(σ²+ε)) through the group scales; codes change only in sign, for negative factors. A grouping whose groups span several
 * channels (tensor, syq-pixel, syq-row) cannot hold per-channel factors in one scale; the result
 * then uses the finest grouping that can (row, or fiber for syq-pixel convs): the codes are
 * unchanged, but the stored scales are per channel.
 */
final class ChannelScales {
    private ChannelScales() {}

    /** The grouping a folded tensor is stored with, or empty when none can hold it. */
    static Optional<Grouping> perChannel(Grouping g, int[] shape) {
        if (withinChannels(g, shape)) return Optional.of(g);
        Grouping refined = switch (g) {
            case Grouping.SyqPixel p when shape.length >= 3 -> new Grouping.Fiber();
            case Grouping.SyqRow r when shape.length >= 3 -> null;
            default -> new Grouping.Row();
        };
        return refined != null && withinChannels(refined, shape) ? Optional.of(refined) : Optional.empty();
    }

    private static boolean withinChannels(Grouping g, int[] shape) {
        return g.layout(shape).rowLocal(perChannel(shape));
    }

    private static int perChannel(int[] shape) {
        int n = 1;
        for (int i = 1; i < shape.length; i++) n *= shape[i];
        return Math.max(1, n);
    }

    /**
     * Channel c's values times factor[c], stored with {@code grouping} (from {@link #perChannel}).
     * A negative factor flips that channel's codes and swaps its two scales (−f·α₋ becomes the
     * +1 level, −f·α₊ the −1 level): every scale stays ≥ 0, as core and the packed format require,
     * and the values are exactly factor[c] times the unfolded ones.
     */
    static TernaryTensor scale(TernaryTensor t, float[] factor, Grouping grouping) {
        int[] shape = t.shape();
        int per = perChannel(shape);
        GroupLayout old = t.grouping().layout(shape);
        float[] pos = new float[t.codes().length];
        float[] neg = new float[t.codes().length];
        for (int g = 0; g < old.groupCount(); g++) {
            for (int j = 0; j < old.size(g); j++) {
                int p = old.position(g, j);
                pos[p] = t.scales(g).pos();
                neg[p] = t.scales(g).neg();
            }
        }
        byte[] codes = t.codes().clone();
        for (int p = 0; p < codes.length; p++) if (factor[p / per] < 0) codes[p] = (byte) -codes[p];
        GroupLayout layout = grouping.layout(shape);
        float[] newPos = new float[layout.groupCount()];
        float[] newNeg = t.twoScales() ? new float[layout.groupCount()] : null;
        for (int g = 0; g < layout.groupCount(); g++) {
            if (layout.size(g) == 0) continue;
            int p = layout.position(g, 0);
            float f = factor[p / per];
            newPos[g] = Math.abs(f) * (f < 0 ? neg[p] : pos[p]);
            if (newNeg != null) newNeg[g] = Math.abs(f) * (f < 0 ? pos[p] : neg[p]);
        }
        return new TernaryTensor(shape.clone(), grouping, t.method(), codes, newPos, newNeg);
    }

    /** The same tensor with every scale rounded to what the weight's storage type can hold. */
    static TernaryTensor round(TernaryTensor t, FloatType type) {
        float[] pos = t.scalePos().clone();
        float[] neg = t.scaleNeg() == null ? null : t.scaleNeg().clone();
        for (int g = 0; g < pos.length; g++) {
            pos[g] = type.round(pos[g]);
            if (neg != null) neg[g] = type.round(neg[g]);
        }
        return new TernaryTensor(t.shape(), t.grouping(), t.method(), t.codes(), pos, neg);
    }
}

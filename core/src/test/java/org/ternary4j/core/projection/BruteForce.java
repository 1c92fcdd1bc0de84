package org.ternary4j.core.projection;

/** The independent oracle: enumerate all 3^N codes and solve each one's scales in closed form. */
final class BruteForce {
    private BruteForce() {}

    /** min over t, a ≥ 0 of ‖w − a·t‖². */
    static double bestOneScaleError(float[] w) {
        double ww = dot(w, w), best = ww;
        byte[] t = new byte[w.length];
        int total = pow3(w.length);
        for (int code = 0; code < total; code++) {
            decode(code, t);
            double wt = 0, tt = 0;
            for (int i = 0; i < w.length; i++) {
                wt += w[i] * t[i];
                tt += t[i] * t[i];
            }
            if (tt == 0) continue;
            double a = Math.max(0, wt / tt);
            best = Math.min(best, ww - 2 * a * wt + a * a * tt);
        }
        return best;
    }

    /** min over t, α₊ ≥ 0, α₋ ≥ 0 of ‖w − q‖² with q = α₊ on +1 codes, −α₋ on −1 codes. */
    static double bestTwoScaleError(float[] w) {
        double best = Double.MAX_VALUE;
        byte[] t = new byte[w.length];
        int total = pow3(w.length);
        for (int code = 0; code < total; code++) {
            decode(code, t);
            double sp = 0, sn = 0;
            int kp = 0, kn = 0;
            for (int i = 0; i < w.length; i++) {
                if (t[i] > 0) { sp += w[i]; kp++; }
                if (t[i] < 0) { sn -= w[i]; kn++; }
            }
            double ap = kp == 0 ? 0 : Math.max(0, sp / kp), an = kn == 0 ? 0 : Math.max(0, sn / kn);
            double err = 0;
            for (int i = 0; i < w.length; i++) {
                double q = t[i] > 0 ? ap : t[i] < 0 ? -an : 0;
                err += (w[i] - q) * (w[i] - q);
            }
            best = Math.min(best, err);
        }
        return best;
    }

    static double error(float[] w, byte[] codes, Scales s) {
        double err = 0;
        for (int i = 0; i < w.length; i++) {
            double d = (double) w[i] - s.value(codes[i]);
            err += d * d;
        }
        return err;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    private static int pow3(int n) {
        int p = 1;
        for (int i = 0; i < n; i++) p *= 3;
        return p;
    }

    private static void decode(int code, byte[] t) {
        for (int i = 0; i < t.length; i++) {
            t[i] = (byte) (code % 3 - 1);
            code /= 3;
        }
    }
}

package org.ternary4j.core.projection;

/** The standard normal functions TGA needs, accurate to about 1e-14 (no library has erf in the JDK). */
public final class Gaussian {
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    private Gaussian() {}

    public static double pdf(double z) {
        return INV_SQRT_2PI * Math.exp(-0.5 * z * z);
    }

    /** Upper tail Q(z) = 1 − Φ(z). */
    public static double upperTail(double z) {
        if (z < 0) return 1 - upperTail(-z);
        return z < 3 ? 0.5 - pdf(z) * phiSeries(z) : pdf(z) / millsContinuedFraction(z);
    }

    /** λ(z) = φ(z)/(1 − Φ(z)), the inverse Mills ratio: mean of the standard normal above z. */
    public static double inverseMills(double z) {
        return z >= 3 ? millsContinuedFraction(z) : pdf(z) / upperTail(z);
    }

    /** dλ/dz = λ(λ − z); TGA's ∂α/∂th. */
    public static double inverseMillsDerivative(double z) {
        double l = inverseMills(z);
        return l * (l - z);
    }

    /** Φ(z) − 1/2 = φ(z)·(z + z³/3 + z⁵/15 + …): all terms positive, so no cancellation. */
    private static double phiSeries(double z) {
        double term = z, sum = z, z2 = z * z;
        for (int k = 1; k < 200 && term > 1e-17 * sum; k++) {
            term *= z2 / (2 * k + 1);
            sum += term;
        }
        return sum;
    }

    /** Q(z)/φ(z) = 1/(z + 1/(z + 2/(z + 3/(z + …)))), returned inverted: λ(z). Good for z ≥ 3. */
    private static double millsContinuedFraction(double z) {
        double f = z;
        for (int k = 60; k >= 1; k--) f = z + k / f;
        return f;
    }
}

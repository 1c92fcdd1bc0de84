package org.ternary4j.core.projection;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class GaussianTest {

    @Test
    void tailMatchesTabulatedValues() {
        // Values of 1 − Φ(z) from standard tables (to 15 digits).
        assertEquals(0.5, Gaussian.upperTail(0), 1e-15);
        assertEquals(0.158655253931457, Gaussian.upperTail(1), 1e-14);
        assertEquals(0.0227501319481792, Gaussian.upperTail(2), 1e-14);
        assertEquals(0.00134989803163009, Gaussian.upperTail(3), 1e-15);
        assertEquals(3.16712418331200e-05, Gaussian.upperTail(4), 1e-17);
        assertEquals(0.841344746068543, Gaussian.upperTail(-1), 1e-14);
    }

    @Test
    void millsRatioIsTheTruncatedMean() {
        assertEquals(Math.sqrt(2 / Math.PI), Gaussian.inverseMills(0), 1e-14);
        // Numerical integral of z·φ(z) over (a, ∞) divided by the tail mass.
        for (double a : new double[] {0.1, 0.7, 1.5, 2.9, 3.1, 5}) {
            double num = 0, h = 1e-4;
            for (double z = a + h / 2; z < a + 40; z += h) num += z * Gaussian.pdf(z) * h;
            assertEquals(num / Gaussian.upperTail(a), Gaussian.inverseMills(a), 1e-6, "a=" + a);
        }
    }

    @Test
    void derivativeMatchesFiniteDifferences() {
        for (double z : new double[] {0, 0.3, 1, 2.5, 2.999, 3.001, 4}) {
            double h = 1e-5;
            double fd = (Gaussian.inverseMills(z + h) - Gaussian.inverseMills(z - h)) / (2 * h);
            assertEquals(fd, Gaussian.inverseMillsDerivative(z), 1e-7, "z=" + z);
        }
    }
}

package dev.emo.evaluation;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Welch's t-test against p-values from numerically integrating Student's t density (done offline in
 * float64; the same numbers scipy.stats.ttest_ind(a, b, equal_var=False) reports).
 */
class WelchTestTest {
    @Test
    void matchesTheIntegratedTDistribution() {
        // t = −2, df = 8 → p = 0.080516
        assertEquals(0.0805162, WelchTest.pValue(new double[]{1, 2, 3, 4, 5}, new double[]{3, 4, 5, 6, 7}), 1e-6);
        // unequal sizes and variances: t = −4.34659, df = 6.41047 → p = 0.0041449
        assertEquals(0.0041449, WelchTest.pValue(new double[]{0.61, 0.63, 0.60, 0.62}, new double[]{0.70, 0.66, 0.75, 0.68, 0.72, 0.64}), 1e-6);
        assertEquals(1.0, WelchTest.pValue(new double[]{1, 2, 3}, new double[]{1, 2, 3}), 1e-12, "identical samples");
        assertTrue(Double.isNaN(WelchTest.pValue(new double[]{1}, new double[]{1, 2})), "one value: no test");
    }

    @Test
    void incompleteBetaKnownValues() {
        assertEquals(0.5, WelchTest.incompleteBeta(2, 2, 0.5), 1e-12);          // symmetric
        assertEquals(0.1808, WelchTest.incompleteBeta(2, 3, 0.2), 1e-12);       // Σ_{j≥2} C(4,j)·0.2^j·0.8^(4−j)
    }
}

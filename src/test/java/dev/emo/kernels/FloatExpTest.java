package dev.emo.kernels;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fused ops' float exponential against Math.exp rounded to float, over the whole float range that matters. */
class FloatExpTest {
    @Test
    void withinTwoUlpOfMathExp() {
        double worst = 0;
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < 2_000_000; i++) {
            float x = i < 1_000_000 ? -103f + 191.7f * i / 1_000_000f : (float) (r.nextGaussian() * 10);
            float want = (float) Math.exp(x), got = FloatExp.exp(x);
            if (want == 0f || Float.isInfinite(want)) {
                assertTrue(Math.abs(got - want) <= Float.MIN_NORMAL, x + ": " + got + " vs " + want);
                continue;
            }
            double ulps = Math.abs(got - want) / Math.ulp(want);
            worst = Math.max(worst, ulps);
            assertTrue(ulps <= 2, "exp(" + x + "): " + got + " vs " + want + " (" + ulps + " ulp)");
        }
        System.out.printf("[exp] worst %.2f ulp%n", worst);
        assertEquals(0f, FloatExp.exp(-1e9f));
        assertEquals(Float.POSITIVE_INFINITY, FloatExp.exp(100f));
        assertEquals(1f, FloatExp.exp(0f));
        assertTrue(Float.isNaN(FloatExp.exp(Float.NaN)));
    }
}

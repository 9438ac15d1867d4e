package dev.emo.kernels;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Vector API loops against float64 arithmetic: the lane exponential over its range (and exact 0
 * below it, for masked scores), and each reduction and row operation on lengths with a tail.
 */
class FloatLanesTest {
    @BeforeAll
    static void moduleIsThere() {
        assertTrue(Simd.on(), "the Vector API module is missing: run the JVM with " + Simd.JVM_OPTION);
    }

    /** e^x through expShiftSum, one lane width at a time (the vector path, not its scalar tail). */
    private static float[] exp(float[] x) {
        float[] a = x.clone();
        FloatLanes.expShiftSum(a, a.length, 0f);
        return a;
    }

    @Test
    void expWithinOneUlpOverItsRangeAndZeroBelow() {
        int n = 2_000_000 / FloatLanes.LANES * FloatLanes.LANES;
        float[] x = new float[n];
        Random r = new Random(1);
        for (int i = 0; i < n; i++) x[i] = i < n / 2 ? -87.3f + 175.6f * i / (n / 2f) : (float) (r.nextGaussian() * 10);
        float[] got = exp(x);
        double worst = 0;
        for (int i = 0; i < n; i++) {
            if (x[i] < -87.3f || x[i] > 88.3f) continue;
            float want = (float) Math.exp(x[i]);
            double ulps = Math.abs(got[i] - want) / Math.ulp(want);
            worst = Math.max(worst, ulps);
            assertTrue(ulps <= 1, "exp(" + x[i] + "): " + got[i] + " vs " + want + " (" + ulps + " ulp)");
        }
        System.out.printf("[lanes exp] worst %.2f ulp%n", worst);
        float[] edge = new float[FloatLanes.LANES];
        java.util.Arrays.fill(edge, -1e9f);
        edge[1] = Float.NEGATIVE_INFINITY;
        edge[2] = Float.NaN;
        edge[3] = 0f;
        edge[4] = -88f;
        float[] e = exp(edge);
        assertEquals(0f, e[0]);
        assertEquals(0f, e[1]);
        assertTrue(Float.isNaN(e[2]));
        assertEquals(1f, e[3]);
        assertEquals(0f, e[4], "below the clamp range: exactly 0, not e^-87.3");
    }

    @Test
    void reductionsAndRowOpsMatchDoubleArithmetic() {
        Random r = new Random(2);
        for (int n : new int[]{1, 7, 8, 9, 130, 50_257}) {
            float[] a = new float[n], b = new float[n];
            for (int i = 0; i < n; i++) {
                a[i] = (float) r.nextGaussian() * 3;
                b[i] = (float) r.nextGaussian();
            }
            double max = Double.NEGATIVE_INFINITY, dot = 0, sum = 0;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, a[i]);
                dot += (double) a[i] * b[i];
            }
            for (int i = 0; i < n; i++) sum += Math.exp(a[i] - max);
            assertEquals(max, FloatLanes.max(a, n), 0, "max, n " + n);
            assertEquals(dot, FloatLanes.dot(a, b, n), 1e-6 * (1 + Math.sqrt(n) * 3), "dot, n " + n);

            float[] e = a.clone();
            assertEquals(sum, FloatLanes.expShiftSum(e, n, (float) max), 1e-6 * sum, "Σ exp, n " + n);
            float[] q = a.clone(), s = b.clone(), bias = b.clone();
            FloatLanes.scaleByAffine(q, s, n, 0.7f, 1.5f);
            FloatLanes.scaleAdd(bias, n, 0.125f, a, 0);
            float[] dz = new float[n], acc = a.clone();
            FloatLanes.softmaxBackward(a, b, 0.3f, dz, n);
            FloatLanes.addInto(acc, 0, b, n);
            for (int i = 0; i < n; i++) {
                assertEquals(Math.exp(a[i] - max), e[i], 1.2e-7 * (2 + Math.abs(a[i] - max)) * Math.exp(a[i] - max), "exp row, n " + n);   // a − max rounds to float first
                assertEquals(a[i] * (0.7 - 1.5 * b[i]), q[i], 1e-6 * (1 + Math.abs(a[i] * b[i])), "q(a - b s), n " + n);
                assertEquals(b[i] * 0.125 + a[i], bias[i], 1e-6, "scaleAdd, n " + n);
                assertEquals(a[i] * (b[i] - 0.3), dz[i], 1e-6 * (1 + Math.abs(a[i] * b[i])), "softmax backward, n " + n);
                assertEquals(a[i] + b[i], acc[i], 1e-6, "addInto, n " + n);
            }
        }
    }
}

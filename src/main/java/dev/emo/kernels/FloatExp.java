package dev.emo.kernels;

/**
 * e^x in float precision for the fused ops' sigmoid and softmax: Cephes' expf (range reduction by
 * ln 2 in two parts, a degree-5 minimax polynomial, the exponent set directly), ≤ 2 ulp from the
 * correctly rounded value (FloatExpTest). Java's Math.exp computes in double with a table and
 * several branches, ≈ 3× the cost; these ops take one exponential per element of [N, 4d] and
 * [B, H, T, T] arrays, forward and back.
 */
final class FloatExp {
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float MAX = 88.72283905206835f, MIN = -103.97207708f;

    private FloatExp() {}

    static float exp(float x) {
        if (x > MAX) return Float.POSITIVE_INFINITY;
        if (x < MIN) return 0f;
        if (x != x) return x;
        float k = (float) Math.floor(x * LOG2E + 0.5f);
        float r = x - k * LN2_HI - k * LN2_LO;          // |r| ≤ ln2/2
        float p = ((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r + 4.1665795894e-2f) * r
                + 1.6666665459e-1f) * r + 5.0000001201e-1f;
        float y = p * r * r + r + 1f;                     // e^r
        int n = (int) k;
        // 2^n · y, in two factors where 2^n alone is outside the normal floats (n = 128 near the top, n < -126 for subnormal results)
        if (n > 127) return y * Float.intBitsToFloat((n - 1 + 127) << 23) * 2f;
        if (n < -125) return y * Float.intBitsToFloat((n + 127 + 64) << 23) * 0x1p-64f;
        return y * Float.intBitsToFloat((n + 127) << 23);
    }
}

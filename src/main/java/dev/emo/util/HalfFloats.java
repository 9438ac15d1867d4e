package dev.emo.util;

/**
 * The two 16-bit float formats that checkpoints and exports store (IEEE binary16 and bfloat16), to
 * and from float32, rounding to nearest even (Float.float16ToFloat and friends are Java 20+).
 */
public final class HalfFloats {
    private HalfFloats() {}

    /** IEEE 754 binary16 → float32, exactly. */
    public static float halfToFloat(short h) {
        int bits = h & 0xffff, sign = (bits & 0x8000) << 16, exp = (bits >>> 10) & 0x1f, mant = bits & 0x3ff;
        if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));          // Inf, NaN
        if (exp != 0) return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));    // normal: bias 15 → 127
        float sub = mant * 0x1p-24f;                                                             // ±0 and subnormals: mant · 2^-24
        return sign == 0 ? sub : -sub;
    }

    /** float32 → IEEE binary16, round to nearest even; overflow to ±Inf, NaN kept. */
    public static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = ((bits >>> 23) & 0xff) - 127 + 15;
        int mant = bits & 0x7fffff;
        if (((bits >>> 23) & 0xff) == 0xff) return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0));
        if (exp >= 0x1f) return (short) (sign | 0x7c00);
        if (exp <= 0) {
            if (exp < -10) return (short) sign;
            mant |= 0x800000;
            int shift = 14 - exp;
            int half = mant >> shift;
            int rem = mant & ((1 << shift) - 1), mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) == 1)) half++;
            return (short) (sign | half);
        }
        int half = (exp << 10) | (mant >> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) == 1)) half++;
        return (short) (sign | half);
    }

    /** bfloat16 (the high half of a float32) → float32, exactly. */
    public static float bf16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }

    /** float32 → bfloat16, round to nearest even (as torch's .to(torch.bfloat16)); NaN stays NaN. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        return (short) ((bits + 0x7fff + ((bits >> 16) & 1)) >>> 16);
    }
}

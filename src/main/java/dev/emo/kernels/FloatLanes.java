package dev.emo.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The host kernels' inner loops over float rows, through the JDK's Vector API (8 lanes on AVX2).
 * Only code that checked {@link Simd#on()} may call these: the class needs the incubator module.
 * Element-wise methods return the index up to which they computed (a whole number of vectors) and
 * leave the rest to the caller's scalar loop; reductions finish their tail themselves.
 *
 * <p>The exponential is {@link FloatExp}'s (Cephes' expf: the same reduction and polynomial) in
 * lanes: the rounding k = round(x·log₂e) comes from adding 1.5·2²³ + 127, whose low mantissa bits
 * are then k + 127, the exponent field of 2^k. Inputs are clamped to [−87.3, 88.3] so that 2^k is
 * a normal float; results below e^−87.3 (≈ 1e−38) are set to exactly 0, so masked softmax entries
 * stay 0. Within 1 ulp of the correctly rounded e^x over the clamp range (FloatLanesTest).
 */
final class FloatLanes {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Elements per vector. */
    static final int LANES = S.length();

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LO = -87.33654f, HI = 88.37626f;
    private static final float ROUND = 12582912f + 127f;   // 1.5·2²³ + the exponent bias
    private static final FloatVector NEG_LN2_HI = FloatVector.broadcast(S, -0.693359375f);
    private static final FloatVector NEG_LN2_LO = FloatVector.broadcast(S, 2.12194440e-4f);
    private static final FloatVector P0 = FloatVector.broadcast(S, 1.9875691500e-4f), P1 = FloatVector.broadcast(S, 1.3981999507e-3f),
            P2 = FloatVector.broadcast(S, 8.3334519073e-3f), P3 = FloatVector.broadcast(S, 4.1665795894e-2f),
            P4 = FloatVector.broadcast(S, 1.6666665459e-1f), P5 = FloatVector.broadcast(S, 5.0000001201e-1f);
    private static final FloatVector LOG2E_V = FloatVector.broadcast(S, LOG2E), ROUND_V = FloatVector.broadcast(S, ROUND);

    private FloatLanes() {}

    /** e^x per lane (see the class comment for the range). */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(LO).min(HI);
        FloatVector t = xc.fma(LOG2E_V, ROUND_V);             // k + 1.5·2²³ + 127, k = round(x·log₂e)
        FloatVector k = t.sub(ROUND);
        FloatVector r = k.fma(NEG_LN2_LO, k.fma(NEG_LN2_HI, xc));   // x − k·ln2, |r| ≤ ln2/2
        FloatVector p = r.fma(P0, P1).fma(r, P2).fma(r, P3).fma(r, P4).fma(r, P5);
        FloatVector er = p.mul(r.mul(r)).add(r).add(1f);     // e^r
        FloatVector twoK = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return er.mul(twoK).blend(0f, x.lt(LO));
    }

    /** The largest element of a[0, n), n ≥ 1 (NaN if any is NaN). */
    static float max(float[] a, int n) {
        int i = 0;
        float m = Float.NEGATIVE_INFINITY;
        if (n >= LANES) {
            FloatVector mv = FloatVector.fromArray(S, a, 0);
            for (i = LANES; i <= n - LANES; i += LANES) mv = mv.max(FloatVector.fromArray(S, a, i));
            m = mv.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) m = Math.max(m, a[i]);
        return m;
    }

    /** a[j] ← e^(a[j] − shift) for j < n; returns Σ a[j] after, summed in double per 16 vectors. */
    static double expShiftSum(float[] a, int n, float shift) {
        double sum = 0;
        int i = 0;
        while (i <= n - LANES) {
            FloatVector block = FloatVector.zero(S);
            for (int end = Math.min(n - LANES, i + 15 * LANES); i <= end; i += LANES) {
                FloatVector e = exp(FloatVector.fromArray(S, a, i).sub(shift));
                e.intoArray(a, i);
                block = block.add(e);
            }
            sum += block.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            a[i] = FloatExp.exp(a[i] - shift);
            sum += a[i];
        }
        return sum;
    }

    /** Σ a[j] for j < n, in double per 16 vectors. */
    static double sum(float[] a, int n) {
        double sum = 0;
        int i = 0;
        while (i <= n - LANES) {
            FloatVector block = FloatVector.zero(S);
            for (int end = Math.min(n - LANES, i + 15 * LANES); i <= end; i += LANES) block = block.add(FloatVector.fromArray(S, a, i));
            sum += block.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) sum += a[i];
        return sum;
    }

    /**
     * c[j] = (a[j] − hi) − lo for j < n, where hi + lo is a double split into two floats: a row
     * centred on its mean to about float precision of the difference, not of the mean (rows of
     * variance far below their mean², as in {@link FusedLayerNorm}'s tests). Returns {Σ c, Σ c²};
     * with {@code r} ≠ 0 also writes c·r to {@code out}.
     */
    static double[] centered(float[] a, int n, float hi, float lo, float r, float[] out) {
        double sum = 0, sq = 0;
        int i = 0;
        while (i <= n - LANES) {
            FloatVector bs = FloatVector.zero(S), bq = FloatVector.zero(S);
            for (int end = Math.min(n - LANES, i + 15 * LANES); i <= end; i += LANES) {
                FloatVector c = FloatVector.fromArray(S, a, i).sub(hi).sub(lo);
                bs = bs.add(c);
                bq = c.fma(c, bq);
                if (out != null) c.mul(r).intoArray(out, i);
            }
            sum += bs.reduceLanes(VectorOperators.ADD);
            sq += bq.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            float c = (a[i] - hi) - lo;
            sum += c;
            sq += c * c;
            if (out != null) out[i] = c * r;
        }
        return new double[]{sum, sq};
    }

    /** y[j] = x̂[j]·gain[j] + bias[j] for j < n. */
    static void affine(float[] xhat, float[] gain, float[] bias, float[] y, int n) {
        int i = 0;
        for (; i <= n - LANES; i += LANES) {
            FloatVector.fromArray(S, xhat, i).fma(FloatVector.fromArray(S, gain, i), FloatVector.fromArray(S, bias, i)).intoArray(y, i);
        }
        for (; i < n; i++) y[i] = xhat[i] * gain[i] + bias[i];
    }

    /** out[j] = a[j]·b[j] for j < n. */
    static void mul(float[] a, float[] b, float[] out, int n) {
        int i = 0;
        for (; i <= n - LANES; i += LANES) FloatVector.fromArray(S, a, i).mul(FloatVector.fromArray(S, b, i)).intoArray(out, i);
        for (; i < n; i++) out[i] = a[i] * b[i];
    }

    /** dx[j] = r·(ĝ[j] − mean(ĝ) − x̂[j]·mean(ĝ·x̂)) for j < n: LayerNorm's input gradient. */
    static void layerNormDx(float[] gh, float[] xhat, float meanGh, float meanGhX, float r, float[] dx, int n) {
        int i = 0;
        for (; i <= n - LANES; i += LANES) {
            FloatVector.fromArray(S, xhat, i).mul(-meanGhX).add(FloatVector.fromArray(S, gh, i)).sub(meanGh).mul(r).intoArray(dx, i);
        }
        for (; i < n; i++) dx[i] = r * (gh[i] - meanGh - xhat[i] * meanGhX);
    }

    /** Σ a[j]·b[j] for j < n, in double per 16 vectors. */
    static double dot(float[] a, float[] b, int n) {
        double sum = 0;
        int i = 0;
        while (i <= n - LANES) {
            FloatVector block = FloatVector.zero(S);
            for (int end = Math.min(n - LANES, i + 15 * LANES); i <= end; i += LANES) {
                block = FloatVector.fromArray(S, a, i).fma(FloatVector.fromArray(S, b, i), block);
            }
            sum += block.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) sum += a[i] * b[i];
        return sum;
    }

    /** a[j] ← a[j]·f for j < n. */
    static void scale(float[] a, int n, float f) {
        int i = 0;
        for (; i <= n - LANES; i += LANES) FloatVector.fromArray(S, a, i).mul(f).intoArray(a, i);
        for (; i < n; i++) a[i] *= f;
    }

    /** a[j] ← a[j]·f + b[bOffset + j] for j < n. */
    static void scaleAdd(float[] a, int n, float f, float[] b, int bOffset) {
        int i = 0;
        FloatVector fv = FloatVector.broadcast(S, f);
        for (; i <= n - LANES; i += LANES) FloatVector.fromArray(S, a, i).fma(fv, FloatVector.fromArray(S, b, bOffset + i)).intoArray(a, i);
        for (; i < n; i++) a[i] = a[i] * f + b[bOffset + i];
    }

    /** a[j] ← 1 − a[j] for j < n. */
    static void oneMinus(float[] a, int n) {
        int i = 0;
        for (; i <= n - LANES; i += LANES) FloatVector.fromArray(S, a, i).neg().add(1f).intoArray(a, i);
        for (; i < n; i++) a[i] = 1 - a[i];
    }

    /** q[j] ← q[j]·(a − b·s[j]) for j < n (LossRows: a token's gradient row from its softmax q and transport costs). */
    static void scaleByAffine(float[] q, float[] s, int n, float a, float b) {
        int i = 0;
        for (; i <= n - LANES; i += LANES) {
            FloatVector.fromArray(S, s, i).fma(-b, a).mul(FloatVector.fromArray(S, q, i)).intoArray(q, i);
        }
        for (; i < n; i++) q[i] = q[i] * (a - b * s[i]);
    }

    /** dz[j] = p[j]·(g[j] − d) for j < n: the softmax backward of a row. */
    static void softmaxBackward(float[] p, float[] g, float d, float[] dz, int n) {
        int i = 0;
        for (; i <= n - LANES; i += LANES) {
            FloatVector.fromArray(S, g, i).sub(d).mul(FloatVector.fromArray(S, p, i)).intoArray(dz, i);
        }
        for (; i < n; i++) dz[i] = p[i] * (g[i] - d);
    }

    /** sum[offset + j] += a[j] for j < n. */
    static void addInto(float[] sum, int offset, float[] a, int n) {
        int i = 0;
        for (; i <= n - LANES; i += LANES) {
            FloatVector.fromArray(S, sum, offset + i).add(FloatVector.fromArray(S, a, i)).intoArray(sum, offset + i);
        }
        for (; i < n; i++) sum[offset + i] += a[i];
    }

    /** One AdamW update of n elements in place ({@link AdamWUpdate}), the scalar tail in the same operation order. */
    static void adamW(float[] p, float[] g, float[] m, float[] v, int n, AdamWUpdate.Scalars s) {
        float b1 = s.beta1(), b2 = s.beta2(), c1 = s.oneMinusBeta1(), c2 = s.oneMinusBeta2(), step = s.stepSize(), bc = s.sqrtBc2(), eps = s.eps(), decay = s.decay();
        int i = 0;
        for (; i <= n - LANES; i += LANES) {
            FloatVector gv = FloatVector.fromArray(S, g, i), pv = FloatVector.fromArray(S, p, i);
            if (decay != 1f) pv = pv.mul(decay);
            FloatVector vv = FloatVector.fromArray(S, v, i).mul(b2).add(gv.mul(gv).mul(c2));
            FloatVector mv = FloatVector.fromArray(S, m, i).mul(b1).add(gv.mul(c1));
            FloatVector denom = vv.lanewise(VectorOperators.SQRT).div(bc).add(eps);
            pv.sub(mv.div(denom).mul(step)).intoArray(p, i);
            mv.intoArray(m, i);
            vv.intoArray(v, i);
        }
        for (; i < n; i++) {
            if (decay != 1f) p[i] *= decay;
            v[i] = v[i] * b2 + g[i] * g[i] * c2;
            m[i] = m[i] * b1 + g[i] * c1;
            p[i] -= m[i] / ((float) Math.sqrt(v[i]) / bc + eps) * step;
        }
    }

    /** y = x·σ(x·(k0 + k1·x²)) ({@link GeluNew}) for whole vectors of [0, n); returns where it stopped. */
    static int geluForward(float[] x, float[] y, int n, float k0, float k1) {
        int i = 0;
        for (; i <= n - LANES; i += LANES) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector u = v.mul(v).fma(k1, k0).mul(v);
            v.div(exp(u.neg()).add(1f)).intoArray(y, i);
        }
        return i;
    }

    /** dx = g·(σ + x·σ(1 − σ)·(k0 + 3k1·x²)), σ = σ(x·(k0 + k1·x²)), for whole vectors of [0, n); returns where it stopped. */
    static int geluBackward(float[] x, float[] g, float[] dx, int n, float k0, float k1) {
        int i = 0;
        for (; i <= n - LANES; i += LANES) {
            FloatVector v = FloatVector.fromArray(S, x, i), x2 = v.mul(v);
            FloatVector s = exp(x2.fma(k1, k0).mul(v).neg()).add(1f);
            s = FloatVector.broadcast(S, 1f).div(s);
            FloatVector slope = x2.fma(3 * k1, k0).mul(v).mul(s.neg().add(1f)).fma(s, s);   // σ + x·σ(1−σ)(k0 + 3k1x²)
            slope.mul(FloatVector.fromArray(S, g, i)).intoArray(dx, i);
        }
        return i;
    }
}

package dev.emo.evaluation.mauve;

/**
 * MAUVE from two histograms over the same buckets, as {@code mauve-text} 0.4.0 computes it
 * ({@code get_divergence_curve_for_multinomials}, sklearn's {@code auc} on argsorted coordinates,
 * {@code get_fronter_integral}). Natural logarithms throughout; {@link StrictMath} so the result
 * does not depend on the JVM's intrinsics.
 */
final class HistogramStage {
    /** Frontier-integral bins with |p − q| at or below this contribute exactly 0 (the reference's threshold). */
    static final double FRONTIER_EQUALITY_THRESHOLD = 1e-8;
    /** The reference multiplies the frontier-integral sum by 2 so that it lies in [0, 1]. */
    static final double FRONTIER_SCALING = 2;
    /** Mixture weights run over linspace(1e-6, 1 − 1e-6, size). */
    static final double MIXTURE_EPS = 1e-6;

    private HistogramStage() {}

    /** MAUVE, the frontier integral and the curve of one pair of histograms. */
    record Values(double mauve, double frontierIntegral, double[][] curve) {}

    static Values evaluate(double[] p, double[] q, int curveSize, double scalingFactor) {
        double[][] curve = divergenceCurve(p, q, curveSize, scalingFactor);
        return new Values(area(curve), frontierIntegral(p, q), curve);
    }

    /**
     * The curve points [curveSize + 2][2]: (1, 0), then for each ascending mixture weight w with
     * R = w·P + (1−w)·Q the point (exp(−c·KL(Q‖R)), exp(−c·KL(P‖R))), then (0, 1). Note that x
     * comes from KL(Q‖R).
     */
    static double[][] divergenceCurve(double[] p, double[] q, int curveSize, double scalingFactor) {
        double[] weights = NumpyMath.linspace(MIXTURE_EPS, 1 - MIXTURE_EPS, curveSize);
        java.util.Arrays.sort(weights); // np.sort(mixture_weights): already ascending
        double[][] kl = new double[curveSize + 2][];
        kl[0] = new double[] {0, Double.POSITIVE_INFINITY};
        double[] r = new double[p.length];
        for (int i = 0; i < curveSize; i++) {
            double w = weights[i];
            for (int b = 0; b < p.length; b++) r[b] = w * p[b] + (1 - w) * q[b];
            kl[i + 1] = new double[] {klMultinomial(q, r), klMultinomial(p, r)};
        }
        kl[curveSize + 1] = new double[] {Double.POSITIVE_INFINITY, 0};
        double negC = -scalingFactor;
        for (double[] point : kl) {
            point[0] = StrictMath.exp(negC * point[0]);
            point[1] = StrictMath.exp(negC * point[1]);
        }
        return kl;
    }

    /** KL(a‖b) summed over bins where both are non-zero; +∞ if a has mass where b has none. */
    static double klMultinomial(double[] a, double[] b) {
        double[] terms = new double[a.length];
        int m = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] != 0 && b[i] == 0) return Double.POSITIVE_INFINITY;
            if (a[i] != 0 && b[i] != 0) terms[m++] = a[i] * StrictMath.log(a[i] / b[i]);
        }
        return NumpyMath.pairwiseSum(terms, 0, m); // np.sum over the selected bins, in bin order
    }

    /**
     * ½·[∫y dx over the points argsorted by x + ∫x dy over the points argsorted by y], with numpy's
     * argsort (its tie order matters when P = Q, see {@link NumpyArgsort}).
     */
    static double area(double[][] curve) {
        double[] x = new double[curve.length];
        double[] y = new double[curve.length];
        for (int i = 0; i < curve.length; i++) {
            x[i] = curve[i][0];
            y[i] = curve[i][1];
        }
        int[] byX = NumpyArgsort.argsort(x);
        int[] byY = NumpyArgsort.argsort(y);
        return 0.5 * (NumpyMath.trapz(NumpyMath.take(y, byX), NumpyMath.take(x, byX))
                + NumpyMath.trapz(NumpyMath.take(x, byY), NumpyMath.take(y, byY)));
    }

    /**
     * 2·Σ_i of: q/4 where p = 0, p/4 where q = 0, 0 where |p − q| ≤ 1e-8, otherwise
     * (p+q)/4 − ½·p·q·(ln p − ln q)/(p − q). Summed left to right as the reference's Python loop does.
     */
    static double frontierIntegral(double[] p, double[] q) {
        double total = 0.0;
        for (int i = 0; i < p.length; i++) {
            double p1 = p[i];
            double q1 = q[i];
            if (p1 == 0 && q1 == 0) continue;
            if (p1 == 0) {
                total += q1 / 4;
            } else if (q1 == 0) {
                total += p1 / 4;
            } else if (Math.abs(p1 - q1) > FRONTIER_EQUALITY_THRESHOLD) {
                double t1 = p1 + q1;
                double t2 = p1 * q1 * (StrictMath.log(p1) - StrictMath.log(q1)) / (p1 - q1);
                total += 0.25 * t1 - 0.5 * t2;
            }
        }
        return total * FRONTIER_SCALING;
    }

    /** counts / Σcounts, as the reference normalises bucket counts. */
    static double[] normalise(double[] counts) {
        double total = NumpyMath.sum(counts);
        double[] h = new double[counts.length];
        for (int i = 0; i < counts.length; i++) h[i] = counts[i] / total;
        return h;
    }

    /** Krichevsky–Trofimov smoothing for MAUVE*: (count + ½) / Σ(count + ½). */
    static double[] smoothed(double[] counts) {
        double[] c = new double[counts.length];
        for (int i = 0; i < counts.length; i++) c[i] = counts[i] + 0.5;
        return normalise(c);
    }
}

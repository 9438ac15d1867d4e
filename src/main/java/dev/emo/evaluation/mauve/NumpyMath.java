package dev.emo.evaluation.mauve;

/**
 * The numpy primitives the reference's histogram stage is built from, with numpy's operation
 * order, so that the port agrees with it to the last few ulps rather than to ~1e-13.
 */
final class NumpyMath {
    /** numpy's unrolled block size for pairwise summation. */
    private static final int PW_BLOCKSIZE = 128;

    private NumpyMath() {}

    static double sum(double[] a) {
        return pairwiseSum(a, 0, a.length);
    }

    /**
     * {@code np.sum} / {@code np.add.reduce} of a contiguous float64 array: below 8 elements a plain
     * loop, up to 128 eight interleaved accumulators, above that a split at a multiple of 8.
     */
    static double pairwiseSum(double[] a, int off, int n) {
        if (n < 8) {
            double res = 0.;
            for (int i = 0; i < n; i++) res += a[off + i];
            return res;
        }
        if (n <= PW_BLOCKSIZE) {
            double[] r = new double[8];
            System.arraycopy(a, off, r, 0, 8);
            int i;
            for (i = 8; i < n - (n % 8); i += 8) {
                for (int j = 0; j < 8; j++) r[j] += a[off + i + j];
            }
            double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++) res += a[off + i];
            return res;
        }
        int n2 = n / 2;
        n2 -= n2 % 8;
        return pairwiseSum(a, off, n2) + pairwiseSum(a, off + n2, n - n2);
    }

    /** {@code np.linspace(start, stop, num)} (endpoint included): i·step + start, last set to stop. */
    static double[] linspace(double start, double stop, int num) {
        double[] y = new double[num];
        int div = num - 1;
        double delta = stop - start;
        double step = div > 0 ? delta / div : Double.NaN;
        for (int i = 0; i < num; i++) {
            if (div <= 0) y[i] = i * delta + start;
            else if (step == 0) y[i] = ((double) i / div) * delta + start;
            else y[i] = i * step + start;
        }
        if (num > 1) y[num - 1] = stop;
        return y;
    }

    /**
     * {@code sklearn.metrics.auc(x, y)} for ascending x, which is {@code np.trapz(y, x)}:
     * the pairwise sum of (x[i+1] − x[i])·(y[i+1] + y[i]) / 2.
     */
    static double trapz(double[] y, double[] x) {
        int n = x.length;
        if (n < 2) throw new IllegalArgumentException("the area needs at least 2 points, got " + n);
        double[] terms = new double[n - 1];
        for (int i = 0; i + 1 < n; i++) terms[i] = (x[i + 1] - x[i]) * (y[i + 1] + y[i]) / 2.0;
        return sum(terms);
    }

    /** a[order[0]], a[order[1]], … */
    static double[] take(double[] a, int[] order) {
        double[] out = new double[order.length];
        for (int i = 0; i < order.length; i++) out[i] = a[order[i]];
        return out;
    }
}

package dev.emo.generation;

/** Upper tail of the chi-square distribution, Q(k/2, x/2), by the regularised incomplete gamma function. */
final class ChiSquare {
    private ChiSquare() {}

    static double survival(double x, int dof) {
        if (x <= 0) return 1;
        double a = dof / 2.0, z = x / 2.0;
        return z < a + 1 ? 1 - lowerSeries(a, z) : upperFraction(a, z);
    }

    /** P(a, z) by its power series; converges fast for z < a + 1. */
    private static double lowerSeries(double a, double z) {
        double term = 1 / a, sum = term;
        for (int n = 1; n < 10_000 && Math.abs(term) > Math.abs(sum) * 1e-16; n++) {
            term *= z / (a + n);
            sum += term;
        }
        return sum * Math.exp(-z + a * Math.log(z) - logGamma(a));
    }

    /** Q(a, z) by Lentz's continued fraction; converges fast for z ≥ a + 1. */
    private static double upperFraction(double a, double z) {
        double tiny = 1e-300, b = z + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
        for (int i = 1; i < 10_000; i++) {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.abs(d) < tiny) d = tiny;
            c = b + an / c;
            if (Math.abs(c) < tiny) c = tiny;
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.abs(delta - 1) < 1e-16) break;
        }
        return Math.exp(-z + a * Math.log(z) - logGamma(a)) * h;
    }

    /** Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for a > 0. */
    static double logGamma(double x) {
        double[] c = {0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
                -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};
        if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
        x -= 1;
        double s = c[0];
        for (int i = 1; i < 9; i++) s += c[i] / (x + i);
        double t = x + 7.5;
        return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(s);
    }
}

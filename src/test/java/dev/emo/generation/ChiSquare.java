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

    static double logGamma(double x) {
        return dev.emo.evaluation.WelchTest.logGamma(x);   // one Lanczos approximation for both tests
    }
}

package dev.emo.evaluation.mauve;

import dev.emo.UserError;

/**
 * MAUVE (Pillutla et al.) as {@code mauve-text} 0.4.0's {@code compute_mauve} computes it from
 * features: unit rows, PCA to 90 % of the variance, faiss-style k-means into k buckets, the two
 * bucket histograms, the divergence curve and its area. The histogram stage is reproduced to a few
 * ulps; the clustering follows faiss's algorithm and random draws but not its BLAS rounding, so
 * feature-level values agree with the reference within its own seed-to-seed spread.
 */
public final class Mauve {
    private Mauve() {}

    /**
     * {@code compute_mauve}'s keyword arguments.
     *
     * @param numBuckets        k; 0 = auto, max(2, round_half_even(min(n_p, n_q) / 10))
     * @param pcaMaxData        rows the PCA is fitted on (a seeded subsample); −1 = all
     * @param explainedVariance keep the first components whose cumulative variance ratio reaches this
     * @param kmeansRedo        k-means restarts; the lowest objective is kept
     * @param kmeansMaxIter     Lloyd iterations per restart
     * @param curveSize         mixture weights on the divergence curve
     * @param scalingFactor     c in exp(−c·KL)
     * @param seed              PCA subsample uses seed+5, k-means seed+2
     */
    public record Options(int numBuckets, int pcaMaxData, double explainedVariance, int kmeansRedo,
                          int kmeansMaxIter, int curveSize, double scalingFactor, int seed) {
        public Options {
            String fix = "use the defaults of Mauve.Options.defaults()";
            if (numBuckets < 0) throw bad("num_buckets " + numBuckets + " is negative", fix + " (0 = auto)");
            if (pcaMaxData == 0) throw bad("pca_max_data 0 fits the PCA on no rows", "use -1 for all rows or a positive count");
            if (!(explainedVariance > 0 && explainedVariance < 1)) {
                throw bad("explained variance " + explainedVariance + " is outside (0, 1)", fix + " (0.9)");
            }
            if (kmeansRedo < 1 || kmeansMaxIter < 1) {
                throw bad("k-means needs at least one restart and one iteration (got " + kmeansRedo + ", " + kmeansMaxIter + ")", fix);
            }
            if (curveSize < 1) throw bad("divergence curve size " + curveSize + " is below 1", fix + " (25)");
            if (!(scalingFactor > 0) || Double.isInfinite(scalingFactor)) {
                throw bad("scaling factor " + scalingFactor + " is not a positive number", fix + " (5)");
            }
        }

        public static Options defaults() {
            return new Options(0, -1, 0.9, 5, 500, 25, 5, 25);
        }

        public Options withSeed(int newSeed) {
            return new Options(numBuckets, pcaMaxData, explainedVariance, kmeansRedo, kmeansMaxIter, curveSize, scalingFactor, newSeed);
        }

        public Options withNumBuckets(int k) {
            return new Options(k, pcaMaxData, explainedVariance, kmeansRedo, kmeansMaxIter, curveSize, scalingFactor, seed);
        }

        public Options withPcaMaxData(int rows) {
            return new Options(numBuckets, rows, explainedVariance, kmeansRedo, kmeansMaxIter, curveSize, scalingFactor, seed);
        }

        public Options withCurve(int size, double c) {
            return new Options(numBuckets, pcaMaxData, explainedVariance, kmeansRedo, kmeansMaxIter, size, c, seed);
        }
    }

    /**
     * @param mauve                the area under the divergence curve, in (0, 1] (can exceed 1 by a few ulps)
     * @param frontierIntegral     in [0, 1], 0 for identical histograms
     * @param mauveStar            MAUVE of the (count + ½)-smoothed histograms; NaN without counts
     * @param frontierIntegralStar likewise
     * @param divergenceCurve      [curveSize + 2][2] points (x from KL(Q‖R), y from KL(P‖R))
     * @param numBuckets           histogram length
     * @param pcaDim               PCA dimension kept; 0 for histogram input
     */
    public record Result(double mauve, double frontierIntegral, double mauveStar, double frontierIntegralStar,
                         double[][] divergenceCurve, double[] pHist, double[] qHist, int numBuckets, int pcaDim) {}

    /** MAUVE between feature sets P and Q (the EMO code passes human text as P, model text as Q); rows are samples. */
    public static Result compute(float[][] p, float[][] q, Options o) {
        int d = checkFeatures("p_features", p, -1);
        checkFeatures("q_features", q, d);
        int k = o.numBuckets() == 0 ? autoBuckets(p.length, q.length) : o.numBuckets();
        if (k > p.length + q.length) {
            throw bad(k + " buckets for " + (p.length + q.length) + " rows (k-means needs at least one row per bucket)",
                    "use fewer buckets or 0 (auto)");
        }
        Quantizer.Quantized z = Quantizer.quantize(p, q, k, o);
        return fromCountsWithDim(z.pCounts(), z.qCounts(), o, z.pcaDim());
    }

    /** MAUVE of two probability histograms over the same buckets (no smoothed values: NaN). */
    public static Result fromHistograms(double[] p, double[] q, Options o) {
        checkHistograms(p, q);
        for (double[] h : new double[][] {p, q}) {
            double s = NumpyMath.sum(h);
            if (Math.abs(s - 1) > 1e-6) {
                throw bad("a histogram sums to " + s + ", not 1", "pass probabilities, or use Mauve.fromCounts for counts");
            }
        }
        HistogramStage.Values v = HistogramStage.evaluate(p, q, o.curveSize(), o.scalingFactor());
        return new Result(v.mauve(), v.frontierIntegral(), Double.NaN, Double.NaN, v.curve(), p.clone(), q.clone(), p.length, 0);
    }

    /** MAUVE of two bucket-count vectors, with MAUVE* and the frontier integral* from (count + ½) smoothing. */
    public static Result fromCounts(double[] pCounts, double[] qCounts, Options o) {
        checkHistograms(pCounts, qCounts);
        return fromCountsWithDim(pCounts, qCounts, o, 0);
    }

    /** The reference's automatic k: max(2, round(min(n_p, n_q)/10)) with Python's round-half-to-even (225 → 22). */
    public static int autoBuckets(int nP, int nQ) {
        return Math.max(2, (int) Math.rint(Math.min(nP, nQ) / 10.0));
    }

    private static Result fromCountsWithDim(double[] pCounts, double[] qCounts, Options o, int pcaDim) {
        double[] p = HistogramStage.normalise(pCounts);
        double[] q = HistogramStage.normalise(qCounts);
        HistogramStage.Values plain = HistogramStage.evaluate(p, q, o.curveSize(), o.scalingFactor());
        HistogramStage.Values smooth = HistogramStage.evaluate(
                HistogramStage.smoothed(pCounts), HistogramStage.smoothed(qCounts), o.curveSize(), o.scalingFactor());
        return new Result(plain.mauve(), plain.frontierIntegral(), smooth.mauve(), smooth.frontierIntegral(),
                plain.curve(), p, q, p.length, pcaDim);
    }

    /** Returns the row width; rejects empty, ragged, mismatched or non-finite input. */
    private static int checkFeatures(String name, float[][] rows, int expectedWidth) {
        if (rows == null || rows.length == 0) throw bad(name + " has no rows", "pass at least one feature row per side");
        int d = rows[0].length;
        if (d == 0) throw bad(name + " rows are empty", "pass feature vectors with at least one value");
        if (expectedWidth >= 0 && d != expectedWidth) {
            throw bad("p_features rows have " + expectedWidth + " values but " + name + " rows have " + d,
                    "featurise both sides with the same model");
        }
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != d) throw bad(name + " row " + i + " has " + rows[i].length + " values, row 0 has " + d, "pass a rectangular matrix");
            for (float v : rows[i]) {
                if (!Float.isFinite(v)) throw bad(name + " row " + i + " contains " + v, "remove or recompute non-finite features");
            }
        }
        return d;
    }

    private static void checkHistograms(double[] p, double[] q) {
        if (p == null || q == null || p.length == 0 || p.length != q.length) {
            throw bad("histograms of lengths " + (p == null ? 0 : p.length) + " and " + (q == null ? 0 : q.length),
                    "pass two non-empty histograms over the same buckets");
        }
        for (double[] h : new double[][] {p, q}) {
            double total = 0;
            for (double v : h) {
                if (!(v >= 0) || Double.isInfinite(v)) throw bad("a histogram entry is " + v, "entries must be finite and non-negative");
                total += v;
            }
            if (total == 0) throw bad("a histogram is all zeros", "each side needs some mass");
        }
    }

    private static UserError bad(String problem, String fix) {
        return UserError.of("MAUVE input", problem, fix);
    }
}

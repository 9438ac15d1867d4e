package dev.emo.bench;

import dev.emo.util.Rss;
import dev.emo.evaluation.mauve.Mauve;

import java.util.SplittableRandom;

/**
 * MAUVE on synthetic features of a real featuriser's size (GPT-2 large: 1,280 values per text).
 * The rows are drawn with a power-law spectrum (variance of coordinate j ∝ j^−2α) around 64 shared
 * cluster means, with Q's means shifted, so that PCA keeps several hundred dimensions, as it does for
 * language-model features, rather than the near-isotropic ~90 % of dimensions of white noise.
 * Prints numbers; asserts nothing ({@code ./run.sh bench --what mauve --rows N --dim D}).
 */
public final class MauveBenchmark {
    private static final int CLUSTERS = 64;

    private MauveBenchmark() {}

    public record Result(int nP, int nQ, int d, int numBuckets, int pcaDim, double mauve, double seconds, long peakRssMb) {}

    public static Result run(int nP, int nQ, int d, double alpha) {
        SplittableRandom rng = new SplittableRandom(7);
        double[] scale = new double[d];
        for (int j = 0; j < d; j++) scale[j] = Math.pow(j + 1, -alpha);
        double[][] means = new double[CLUSTERS][d];
        for (double[] m : means) for (int j = 0; j < d; j++) m[j] = rng.nextGaussian() * scale[j];
        float[][] p = sample(nP, means, scale, 0.0, rng);
        float[][] q = sample(nQ, means, scale, 0.3, rng);
        long t0 = System.nanoTime();
        Mauve.Result r = Mauve.compute(p, q, Mauve.Options.defaults());
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Result(nP, nQ, d, r.numBuckets(), r.pcaDim(), r.mauve(), seconds, Rss.currentMb());
    }

    private static float[][] sample(int n, double[][] means, double[] scale, double shift, SplittableRandom rng) {
        int d = scale.length;
        float[][] x = new float[n][d];
        for (float[] row : x) {
            double[] m = means[rng.nextInt(means.length)];
            for (int j = 0; j < d; j++) row[j] = (float) (m[j] + shift * scale[j] + rng.nextGaussian() * scale[j]);
        }
        return x;
    }
}

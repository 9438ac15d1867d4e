package dev.emo.evaluation.mauve;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static dev.emo.evaluation.mauve.MauveReference.doubles;
import static dev.emo.evaluation.mauve.MauveReference.list;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The feature stage against mauve-text on every feature case: the automatic bucket count and the
 * PCA dimension exactly, the explained-variance ratios to 1e-5 (the reference's PCA ran in float32),
 * and, for the reference's 3 seeds and its 20 "wide" seeds, MAUVE inside the spread faiss itself
 * shows over those 20 seeds widened by 2 standard deviations. The band is the contract because our
 * k-means draws faiss's random numbers but not its BLAS rounding, so on another machine a near-tie
 * may resolve differently and the clustering becomes another draw from the same distribution; a
 * correct draw falls inside [min − 2σ, max + 2σ] of 20 draws with overwhelming probability, while a
 * wrong pipeline (PCA dimension, bucket count, row order, normalisation) moves f3/f4 far outside.
 * Identical inputs (f7) must give 1 ± 1e-15.
 * Beyond the band, at least 2/3 of the runs must reproduce faiss outright (the 3 reference runs: the
 * same histograms bit for bit; the wide seeds: the same MAUVE to 1e-12), which only happens if the
 * initialisation, the Lloyd loop and the empty-cluster splits follow faiss (161 of 161 here).
 */
@org.junit.jupiter.api.Tag("slow")   // left out of ./run.sh test --fast
class MauveFeatureReferenceTest {
    static final double BAND_SIGMAS = 2;
    static final double VARIANCE_RATIO_TOL = 1e-5;
    static final double SAME_AS_FAISS_TOL = 1e-12;
    static final double MIN_SHARE_SAME_AS_FAISS = 2.0 / 3;
    private static final AtomicInteger SEEDED_RUNS = new AtomicInteger();
    private static final AtomicInteger SAME_AS_FAISS = new AtomicInteger();

    @TestFactory
    Stream<DynamicNode> featureCases() {
        Stream<DynamicNode> perCase = list(MauveReference.json().get("feature_cases")).stream().map(c ->
                DynamicContainer.dynamicContainer(c.get("name").asText(), featureCase(c)));
        return Stream.concat(perCase, Stream.of(DynamicTest.dynamicTest("k-means reproduces faiss's clusterings", () -> {
            System.out.printf("[mauve-feat] same result as faiss in %d of %d seeded runs%n", SAME_AS_FAISS.get(), SEEDED_RUNS.get());
            assertTrue(SEEDED_RUNS.get() > 0, "no seeded runs were checked");
            assertTrue(SAME_AS_FAISS.get() >= MIN_SHARE_SAME_AS_FAISS * SEEDED_RUNS.get(),
                    SAME_AS_FAISS.get() + " of " + SEEDED_RUNS.get() + " runs reproduce faiss");
        })));
    }

    private Stream<DynamicNode> featureCase(JsonNode c) {
        String name = c.get("name").asText();
        List<DynamicNode> tests = new ArrayList<>();
        tests.add(DynamicTest.dynamicTest("bucket count (round half to even)", () -> {
            float[][] p = MauveReference.features(c.get("p_file").asText());
            float[][] q = MauveReference.features(c.get("q_file").asText());
            assertEquals(c.get("num_buckets").asInt(), Mauve.autoBuckets(p.length, q.length), name + " num_buckets");
        }));
        tests.add(DynamicTest.dynamicTest("PCA dimension and explained-variance ratios", () -> {
            float[][] p = MauveReference.features(c.get("p_file").asText());
            float[][] q = MauveReference.features(c.get("q_file").asText());
            int d = p[0].length;
            INDArray rows = Nd4j.create(Quantizer.unitRows(q, p, d), new long[] {p.length + q.length, d}, DataType.DOUBLE);
            Pca.Projection pca = Pca.fitAndProject(rows, null, Mauve.Options.defaults().explainedVariance());
            double err = MauveReference.maxAbsDiff(doubles(c.get("pca_explained_variance_ratio")), pca.explainedVarianceRatio());
            System.out.printf("[mauve-pca] %-24s dim %d (ref %d), max |Δ ratio| %.2e%n", name, pca.dim(), c.get("pca_dim_retained").asInt(), err);
            assertEquals(c.get("pca_dim_retained").asInt(), pca.dim(), name + " pca_dim_retained");
            assertTrue(err <= VARIANCE_RATIO_TOL, name + " explained-variance ratios differ by " + err);
        }));
        for (JsonNode run : list(c.get("runs"))) {
            int seed = run.get("seed").asInt();
            tests.add(DynamicTest.dynamicTest("seed " + seed, () -> {
                Mauve.Result r = checkSeed(c, seed, run.get("mauve").asDouble());
                boolean same = Arrays.equals(doubles(run.get("p_hist")), r.pHist()) && Arrays.equals(doubles(run.get("q_hist")), r.qHist());
                System.out.printf("[mauve-feat] %-24s seed %3d  histograms identical to faiss's: %s; mauve* %.6f (ref %.6f)%n",
                        name, seed, same, r.mauveStar(), run.get("mauve_star").asDouble());
                count(same);
            }));
        }
        JsonNode wide = c.get("mauve_over_wide_seeds");
        tests.add(DynamicTest.dynamicTest("20 wide seeds", () -> {
            for (int i = 0; i < wide.get("seeds").size(); i++) {
                double expected = wide.get("values").get(i).asDouble();
                Mauve.Result r = checkSeed(c, wide.get("seeds").get(i).asInt(), expected);
                count(Math.abs(r.mauve() - expected) <= SAME_AS_FAISS_TOL);
            }
        }));
        return tests.stream();
    }

    /** Runs one seed and asserts what must hold whatever the clustering: k, PCA dim, normalised histograms, the band. */
    private static Mauve.Result checkSeed(JsonNode c, int seed, double faissMauve) {
        String name = c.get("name").asText();
        Mauve.Result r = result(c, seed);
        JsonNode wide = c.get("mauve_over_wide_seeds");
        double margin = BAND_SIGMAS * wide.get("std").asDouble();
        double lo = wide.get("min").asDouble() - margin;
        double hi = wide.get("max").asDouble() + margin;
        System.out.printf("[mauve-feat] %-24s seed %3d  ours %.6f  faiss %.6f  |Δ| %.1e  band [%.4f, %.4f]%n",
                name, seed, r.mauve(), faissMauve, Math.abs(r.mauve() - faissMauve), lo, hi);
        assertEquals(c.get("num_buckets").asInt(), r.numBuckets(), name + " num_buckets");
        assertEquals(c.get("pca_dim_retained").asInt(), r.pcaDim(), name + " pca_dim_retained");
        assertEquals(1.0, Arrays.stream(r.pHist()).sum(), 1e-12, "p histogram sums to 1");
        assertEquals(1.0, Arrays.stream(r.qHist()).sum(), 1e-12, "q histogram sums to 1");
        if (name.startsWith("f7")) {
            assertEquals(1.0, r.mauve(), 1e-15, name + ": identical inputs");
            assertEquals(0.0, r.frontierIntegral(), 1e-15, name + ": identical inputs");
        } else {
            assertTrue(r.mauve() >= lo && r.mauve() <= hi, name + " seed " + seed + ": MAUVE " + r.mauve() + " outside [" + lo + ", " + hi + "]");
        }
        return r;
    }

    private static Mauve.Result result(JsonNode c, int seed) {
        return Mauve.compute(MauveReference.features(c.get("p_file").asText()), MauveReference.features(c.get("q_file").asText()),
                Mauve.Options.defaults().withSeed(seed));
    }

    private static void count(boolean sameAsFaiss) {
        SEEDED_RUNS.incrementAndGet();
        if (sameAsFaiss) SAME_AS_FAISS.incrementAndGet();
    }
}

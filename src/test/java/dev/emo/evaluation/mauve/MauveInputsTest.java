package dev.emo.evaluation.mauve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.emo.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static dev.emo.evaluation.mauve.MauveReference.doubles;
import static dev.emo.evaluation.mauve.MauveReference.list;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bucket rule, the options that change which rows the PCA sees, the random streams, and bad input. */
class MauveInputsTest {
    @Test
    void autoBucketsRoundHalfToEvenLikePython() {
        JsonNode f6 = list(MauveReference.json().get("feature_cases")).stream()
                .filter(c -> c.get("name").asText().startsWith("f6")).findFirst().orElseThrow();
        int nP = f6.get("p_shape").get(0).asInt();
        int nQ = f6.get("q_shape").get(0).asInt();
        int expected = f6.get("num_buckets").asInt();
        assertEquals(expected, Mauve.autoBuckets(nP, nQ), "f6: round(" + Math.min(nP, nQ) / 10.0 + ")");
        // the case is a genuine tie: Java's half-up rounding would give one bucket more
        assertNotEquals(expected, (int) Math.round(Math.min(nP, nQ) / 10.0));
        assertEquals(2, Mauve.autoBuckets(3, 1000), "at least two buckets");
    }

    @Test
    void pcaMaxDataAtOrAboveTheRowCountFitsOnAllRows() {
        JsonNode f1 = list(MauveReference.json().get("feature_cases")).get(0);
        float[][] p = MauveReference.features(f1.get("p_file").asText());
        float[][] q = MauveReference.features(f1.get("q_file").asText());
        Mauve.Result all = Mauve.compute(p, q, Mauve.Options.defaults());
        Mauve.Result capped = Mauve.compute(p, q, Mauve.Options.defaults().withPcaMaxData(p.length + q.length));
        assertEquals(all.mauve(), capped.mauve(), 0.0);
        assertArrayEquals(all.pHist(), capped.pHist(), 0.0);
        assertEquals(all.mauve(), Mauve.compute(p, q, Mauve.Options.defaults()).mauve(), 0.0, "deterministic");

        Mauve.Result sub = Mauve.compute(p, q, Mauve.Options.defaults().withPcaMaxData(400));
        JsonNode wide = f1.get("mauve_over_wide_seeds");
        System.out.printf("[mauve] f1 with pca_max_data 400: PCA dim %d (all rows: %d), MAUVE %.4f%n", sub.pcaDim(), all.pcaDim(), sub.mauve());
        assertTrue(Math.abs(sub.pcaDim() - all.pcaDim()) <= 3, "a 400-row PCA of the same data keeps about as many dimensions");
        assertTrue(sub.mauve() > wide.get("min").asDouble() - 0.1, "a subsampled PCA still finds P ≈ Q");
    }

    @Test
    void unbalancedSidesTrainKMeansOnASubsample() {
        JsonNode f6 = list(MauveReference.json().get("feature_cases")).stream()
                .filter(c -> c.get("name").asText().startsWith("f6")).findFirst().orElseThrow();
        float[][] p = MauveReference.features(f6.get("p_file").asText());
        float[][] q = java.util.Arrays.copyOf(MauveReference.features(f6.get("q_file").asText()), 20);
        int k = Mauve.autoBuckets(p.length, q.length);
        assertTrue(p.length + q.length > k * FaissKMeans.MAX_POINTS_PER_CENTROID, "exercises faiss's 256·k subsample");
        Mauve.Result r = Mauve.compute(p, q, Mauve.Options.defaults());
        assertEquals(k, r.numBuckets());
        assertEquals(1.0, java.util.Arrays.stream(r.pHist()).sum(), 1e-12);
        assertTrue(r.mauve() > 0 && r.mauve() <= 1 + 1e-12, "MAUVE " + r.mauve());
        assertEquals(r.mauve(), Mauve.compute(p, q, Mauve.Options.defaults()).mauve(), 0.0, "deterministic");
    }

    @Test
    void randomStreamsAreTheReferenceLibraries() {
        // C++11 [rand.predef]: the 10000th output of a default-seeded (5489) std::mt19937 is 4123659995
        Mt19937 mt = new Mt19937(5489);
        long v = 0;
        for (int i = 0; i < 10000; i++) v = mt.nextUnsigned();
        assertEquals(4123659995L, v);
        // numpy: np.random.RandomState(30).choice(1225, size=10, replace=False)
        assertArrayEquals(new int[] {345, 944, 303, 765, 199, 740, 196, 56, 57, 6},
                Mt19937.numpyChoiceWithoutReplacement(1225, 10, 30));
    }

    @Test
    void zeroRowsStayZeroAfterNormalisation() {
        double[] rows = Quantizer.unitRows(new float[][] {{0, 0}}, new float[][] {{3, 4}}, 2);
        assertArrayEquals(new double[] {0, 0, 0.6, 0.8}, rows, 1e-15);
    }

    @Test
    void badInputIsAOneLineUserError() {
        float[][] ok = {{1, 2}, {3, 4}, {5, 6}};
        Mauve.Options o = Mauve.Options.defaults();
        expectUserError(() -> Mauve.compute(new float[0][], ok, o), "no rows");
        expectUserError(() -> Mauve.compute(ok, new float[][] {{1, 2, 3}}, o), "values");
        expectUserError(() -> Mauve.compute(new float[][] {{1, 2}, {3}}, ok, o), "row 1");
        expectUserError(() -> Mauve.compute(new float[][] {{1, Float.NaN}}, ok, o), "NaN");
        expectUserError(() -> Mauve.compute(ok, ok, o.withNumBuckets(7)), "buckets");
        expectUserError(() -> Mauve.fromHistograms(new double[] {0.5, 0.5}, new double[] {1}, o), "lengths");
        expectUserError(() -> Mauve.fromHistograms(new double[] {2, 2}, new double[] {0.5, 0.5}, o), "sums to");
        expectUserError(() -> Mauve.fromCounts(new double[] {-1, 2}, new double[] {1, 1}, o), "-1");
        expectUserError(() -> Mauve.fromCounts(new double[] {0, 0}, new double[] {1, 1}, o), "all zeros");
        expectUserError(() -> o.withPcaMaxData(0), "pca_max_data");
        expectUserError(() -> o.withCurve(0, 5), "curve size");
        expectUserError(() -> new Mauve.Options(0, -1, 1.5, 5, 500, 25, 5, 25), "explained variance");
    }

    private static void expectUserError(Executable call, String mentions) {
        UserError e = assertThrows(UserError.class, call);
        assertTrue(e.getMessage().contains(mentions), e.getMessage() + " should mention " + mentions);
        assertTrue(e.getMessage().startsWith("MAUVE input: ") && e.getMessage().contains("; ") && !e.getMessage().contains("\n"),
                "FILE: PROBLEM; FIX on one line: " + e.getMessage());
    }

    @Test
    void histogramInputHasNoSmoothedValues() {
        JsonNode h1 = list(MauveReference.json().get("histogram_cases")).get(0);
        Mauve.Result r = Mauve.fromHistograms(doubles(h1.get("p_hist")), doubles(h1.get("q_hist")), Mauve.Options.defaults());
        assertTrue(Double.isNaN(r.mauveStar()) && Double.isNaN(r.frontierIntegralStar()));
        assertEquals(0, r.pcaDim());
        assertEquals(h1.get("p_hist").size(), r.numBuckets());
    }
}

package dev.emo.evaluation.mauve;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static dev.emo.evaluation.mauve.MauveReference.doubles;
import static dev.emo.evaluation.mauve.MauveReference.ints;
import static dev.emo.evaluation.mauve.MauveReference.list;
import static dev.emo.evaluation.mauve.MauveReference.maxAbsDiff;
import static dev.emo.evaluation.mauve.MauveReference.points;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The histogram stage against mauve-text's own outputs: every histogram case (MAUVE, frontier
 * integral, the 27-point curve, the smoothed values, every (size, c) variant, numpy's mixture
 * weights and argsort permutations) and the back end of every feature run (its histograms in,
 * its MAUVE, MAUVE*, frontier integrals and curve out). Tolerance 1e-12 absolute, as the
 * reference's README suggests (numpy's vectorised log/exp differ from StrictMath by an ulp or so).
 */
class MauveHistogramReferenceTest {
    static final double TOL = 1e-12;

    @TestFactory
    Stream<DynamicNode> histogramCases() {
        return list(MauveReference.json().get("histogram_cases")).stream().map(c ->
                DynamicContainer.dynamicContainer(c.get("name").asText(), histogramCase(c)));
    }

    @TestFactory
    Stream<DynamicNode> featureRunBackEnds() {
        List<DynamicNode> tests = new ArrayList<>();
        for (JsonNode c : list(MauveReference.json().get("feature_cases"))) {
            for (JsonNode run : list(c.get("runs"))) {
                String name = c.get("name").asText() + " seed " + run.get("seed").asInt();
                tests.add(DynamicTest.dynamicTest(name, () -> {
                    Mauve.Result r = Mauve.fromCounts(doubles(run.get("p_counts")), doubles(run.get("q_counts")), Mauve.Options.defaults());
                    assertClose(name + " p_hist", 0, maxAbsDiff(doubles(run.get("p_hist")), r.pHist()));
                    assertClose(name + " q_hist", 0, maxAbsDiff(doubles(run.get("q_hist")), r.qHist()));
                    assertClose(name + " mauve", run.get("mauve").asDouble(), r.mauve());
                    assertClose(name + " frontier_integral", run.get("frontier_integral").asDouble(), r.frontierIntegral());
                    assertClose(name + " mauve_star", run.get("mauve_star").asDouble(), r.mauveStar());
                    assertClose(name + " frontier_integral_star", run.get("frontier_integral_star").asDouble(), r.frontierIntegralStar());
                    assertClose(name + " curve", 0, maxAbsDiff(points(run.get("divergence_curve")), r.divergenceCurve()));
                }));
            }
        }
        return tests.stream();
    }

    private Stream<DynamicNode> histogramCase(JsonNode c) {
        String name = c.get("name").asText();
        boolean counts = "counts".equals(c.get("input").asText());
        Mauve.Options defaults = Mauve.Options.defaults();
        List<DynamicNode> tests = new ArrayList<>();
        tests.add(DynamicTest.dynamicTest("numpy linspace mixture weights, bit for bit", () ->
                assertArrayEquals(doubles(c.get("mixture_weights")),
                        NumpyMath.linspace(HistogramStage.MIXTURE_EPS, 1 - HistogramStage.MIXTURE_EPS, defaults.curveSize()))));
        tests.add(DynamicTest.dynamicTest("numpy argsort permutations of the reference curve", () -> {
            double[][] curve = points(c.get("divergence_curve"));
            assertArrayEquals(ints(c.get("argsort_x")), NumpyArgsort.argsort(column(curve, 0)), name + " argsort_x");
            assertArrayEquals(ints(c.get("argsort_y")), NumpyArgsort.argsort(column(curve, 1)), name + " argsort_y");
        }));
        tests.add(DynamicTest.dynamicTest("mauve, frontier integral, curve", () -> {
            Mauve.Result r = evaluate(c, counts, defaults);
            assertClose(name + " p_hist", 0, maxAbsDiff(doubles(c.get("p_hist")), r.pHist()));
            assertClose(name + " q_hist", 0, maxAbsDiff(doubles(c.get("q_hist")), r.qHist()));
            assertClose(name + " mauve", c.get("mauve").asDouble(), r.mauve());
            assertClose(name + " frontier_integral", c.get("frontier_integral").asDouble(), r.frontierIntegral());
            assertClose(name + " curve", 0, maxAbsDiff(points(c.get("divergence_curve")), r.divergenceCurve()));
            if (!counts) assertTrue(Double.isNaN(r.mauveStar()), "no MAUVE* without counts");
        }));
        if (counts) {
            tests.add(DynamicTest.dynamicTest("smoothed: mauve_star, frontier_integral_star, curve", () -> {
                double[] ps = HistogramStage.smoothed(doubles(c.get("p_counts")));
                double[] qs = HistogramStage.smoothed(doubles(c.get("q_counts")));
                assertClose(name + " p_hist_smoothed", 0, maxAbsDiff(doubles(c.get("p_hist_smoothed")), ps));
                assertClose(name + " q_hist_smoothed", 0, maxAbsDiff(doubles(c.get("q_hist_smoothed")), qs));
                Mauve.Result r = evaluate(c, true, defaults);
                assertClose(name + " mauve_star", c.get("mauve_star").asDouble(), r.mauveStar());
                assertClose(name + " frontier_integral_star", c.get("frontier_integral_star").asDouble(), r.frontierIntegralStar());
                double[][] smoothedCurve = HistogramStage.divergenceCurve(ps, qs, defaults.curveSize(), defaults.scalingFactor());
                assertClose(name + " divergence_curve_smoothed", 0, maxAbsDiff(points(c.get("divergence_curve_smoothed")), smoothedCurve));
            }));
        }
        for (JsonNode v : list(c.get("variants"))) {
            int size = v.get("divergence_curve_discretization_size").asInt();
            double scaling = v.get("mauve_scaling_factor").asDouble();
            tests.add(DynamicTest.dynamicTest("variant size " + size + ", c " + v.get("mauve_scaling_factor").asText(), () -> {
                Mauve.Result r = evaluate(c, counts, defaults.withCurve(size, scaling));
                assertEquals(size + 2, r.divergenceCurve().length, "curve points");
                assertClose(name + " variant (" + size + ", " + scaling + ") mauve", v.get("mauve").asDouble(), r.mauve());
            }));
        }
        return tests.stream();
    }

    private static Mauve.Result evaluate(JsonNode c, boolean counts, Mauve.Options o) {
        return counts
                ? Mauve.fromCounts(doubles(c.get("p_counts")), doubles(c.get("q_counts")), o)
                : Mauve.fromHistograms(doubles(c.get("p_hist")), doubles(c.get("q_hist")), o);
    }

    private static double[] column(double[][] points, int j) {
        double[] out = new double[points.length];
        for (int i = 0; i < points.length; i++) out[i] = points[i][j];
        return out;
    }

    /** Asserts |expected − actual| ≤ 1e-12 and logs the error, so the report can quote the worst one. */
    static void assertClose(String what, double expected, double actual) {
        double err = expected == actual ? 0 : Math.abs(expected - actual);
        if (err > 0) System.out.printf("[mauve-hist] %-60s |Δ| %.2e%n", what, err);
        assertTrue(err <= TOL, what + ": expected " + expected + ", got " + actual + " (|Δ| " + err + ")");
    }
}

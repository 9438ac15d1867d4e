package dev.emo.generation;

import dev.emo.Fixtures;
import dev.emo.models.CausalLM;
import dev.emo.registry.Models;
import dev.emo.tokenizers.Tokenizer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ancestral sampling draws from the model's softmax: the first token sampled after BOS by the
 * KV-cache generator, over 20,000 seeded rows, passes a chi-square goodness-of-fit test against
 * softmax(logits) at p > 0.001 (tokens with expected count < 5 pooled into one cell).
 */
class SamplingDistributionTest {
    static final int DRAWS = 20_000;

    @Test
    void firstTokenFollowsSoftmax() {
        Path dir = Fixtures.model("stories260k");
        CausalLM model = Models.withKvCache(Models.load(dir).model());
        int bos = dev.emo.registry.ModelFamilies.tokenizer(dir).bosId();
        double[] logits = model.forward(Nd4j.createFromArray(new long[][]{{bos}}), Nd4j.ones(DataType.INT64, 1, 1))
                .reshape(-1).castTo(DataType.DOUBLE).toDoubleVector();
        double[] p = softmax(logits);

        List<int[]> prompts = new ArrayList<>(Collections.nCopies(DRAWS, new int[]{bos}));
        List<Generator.Output> out = new Generator(model).generate(prompts, new Generator.Options(1, Sampling.ANCESTRAL, 2024, -1, 2000));
        long[] counts = new long[p.length];
        for (Generator.Output o : out) counts[o.ids()[0]]++;

        double stat = 0, pooledExpected = 0, pooledObserved = 0;
        int cells = 0;
        for (int i = 0; i < p.length; i++) {
            double e = p[i] * DRAWS;
            if (e < 5) {
                pooledExpected += e;
                pooledObserved += counts[i];
                continue;
            }
            stat += (counts[i] - e) * (counts[i] - e) / e;
            cells++;
        }
        if (pooledExpected > 0) {
            stat += (pooledObserved - pooledExpected) * (pooledObserved - pooledExpected) / pooledExpected;
            cells++;
        }
        double pValue = ChiSquare.survival(stat, cells - 1);
        System.out.printf("[sampling] stories260k first token: chi2 %.2f on %d dof, p = %.4f%n", stat, cells - 1, pValue);
        assertTrue(cells >= 10, "too few cells for a meaningful test: " + cells);
        assertTrue(pValue > 0.001, "sampled distribution differs from softmax: chi2 " + stat + ", p " + pValue);
    }

    @Test
    void chiSquareSurvivalMatchesKnownQuantiles() {
        // scipy 1.x: chi2.isf(0.05, 1), chi2.isf(0.05, 10), chi2.isf(0.001, 100), chi2.sf(30.5, 7)
        assertEquals(0.05, ChiSquare.survival(3.841458820694124, 1), 1e-12);
        assertEquals(0.05, ChiSquare.survival(18.30703805327515, 10), 1e-12);
        assertEquals(0.001, ChiSquare.survival(149.4492527790389, 100), 1e-12);
        assertEquals(7.685993449410958e-05, ChiSquare.survival(30.5, 7), 1e-15);
    }

    private static double[] softmax(double[] x) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double v : x) max = Math.max(max, v);
        double[] p = new double[x.length];
        for (int i = 0; i < x.length; i++) sum += p[i] = Math.exp(x[i] - max);
        for (int i = 0; i < x.length; i++) p[i] /= sum;
        return p;
    }
}

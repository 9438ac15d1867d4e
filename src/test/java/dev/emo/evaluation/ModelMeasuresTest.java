package dev.emo.evaluation;

import dev.emo.Fixtures;
import dev.emo.registry.Architectures;
import dev.emo.models.CausalLM;
import dev.emo.registry.Models;
import dev.emo.tokenizers.Tokenizer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Featurizer, perplexity and distribution measures on stories260k, each against a direct computation. */
class ModelMeasuresTest {
    static final List<String> TEXTS = List.of(
            "Once upon a time, there was a little girl named Lily who loved to play in the park with her dog every day.",
            "The cat sat on the mat.",
            "Tom had a big red ball. He liked to throw it high in the sky and catch it with both of his small hands, and then he laughed.");

    @Test
    void featuresAreTheLastTokensHiddenStateWhateverTheBatching() {
        Path dir = Fixtures.model("stories260k");
        CausalLM model = Models.load(dir).model();
        Tokenizer tok = dev.emo.registry.ModelFamilies.tokenizer(dir);
        float[][] batched = new ModelFeaturizer(model, tok, "stories260k", 256, 3).embed(TEXTS);
        for (int i = 0; i < TEXTS.size(); i++) {
            int[] ids = tok.encode(TEXTS.get(i));
            INDArray h = model.hiddenStates(Nd4j.createFromArray(Arrays.stream(ids).asLongStream().toArray()).reshape(1, ids.length),
                    Nd4j.ones(DataType.INT64, 1, ids.length));
            float[] direct = h.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0), org.nd4j.linalg.indexing.NDArrayIndex.point(ids.length - 1),
                    org.nd4j.linalg.indexing.NDArrayIndex.all()).toFloatVector();
            assertArrayEquals(direct, batched[i], 1e-4f, "text " + i);
        }
        float[][] truncated = new ModelFeaturizer(model, tok, "stories260k", 5, 2).embed(TEXTS);
        assertEquals(model.config().hiddenSize(), truncated[0].length);
    }

    @Test
    void perplexityOfTextsIsTheTokenWeightedMeanOfDirectNll() {
        Path dir = Fixtures.model("stories260k");
        CausalLM model = Models.load(dir).model();
        Tokenizer tok = dev.emo.registry.ModelFamilies.tokenizer(dir);
        double sum = 0;
        long n = 0;
        for (String t : TEXTS) {
            int[] ids = tok.encode(t);
            double[] logits = model.forward(Nd4j.createFromArray(Arrays.stream(ids).asLongStream().toArray()).reshape(1, ids.length),
                    Nd4j.ones(DataType.INT64, 1, ids.length)).reshape(-1).castTo(DataType.DOUBLE).toDoubleVector();
            int v = model.config().vocabSize();
            for (int p = 0; p + 1 < ids.length; p++) {
                double max = Double.NEGATIVE_INFINITY, z = 0;
                for (int i = 0; i < v; i++) max = Math.max(max, logits[p * v + i]);
                for (int i = 0; i < v; i++) z += Math.exp(logits[p * v + i] - max);
                sum += max + Math.log(z) - logits[p * v + ids[p + 1]];
                n++;
            }
        }
        Perplexity.Result r = Perplexity.ofTexts(model, tok, TEXTS, 2);
        assertEquals(n, r.tokens());
        assertEquals(Math.exp(sum / n), r.perplexity(), 1e-4 * r.perplexity());
    }

    @Test
    void distributionMeasuresVanishAgainstItselfAndOrderAgainstAnotherModel() {
        Path dir = Fixtures.model("stories260k");
        CausalLM model = Models.load(dir).model();
        Tokenizer tok = dev.emo.registry.ModelFamilies.tokenizer(dir);
        List<String> texts = List.of(TEXTS.get(0), TEXTS.get(2));
        DistributionMeasures.Result self = DistributionMeasures.compute(model, model, tok, texts);
        assertEquals(2, self.texts());
        assertEquals(self.forwardCe(), self.reverseCe(), 1e-9);       // both are the entropy of p
        assertEquals(0, self.tvd(), 1e-12);
        assertEquals(0, self.reverseKl(), 1e-12);

        CausalLM other = Architectures.randomModel("llama-tiny", 3);  // a different distribution, different vocabulary
        CausalLM perturbed = Models.load(dir).model();
        perturbed.params().get("model.norm.weight").getArr().muli(0.5); // flatter logits
        DistributionMeasures.Result d = DistributionMeasures.compute(perturbed, model, tok, texts);
        assertTrue(d.tvd() > 0.01 && d.tvd() <= 1, "tvd " + d.tvd());
        assertTrue(d.reverseKl() > 0, "reverse KL " + d.reverseKl());
        assertTrue(d.forwardCe() > self.forwardCe(), "a flatter q pays more cross-entropy under p (Gibbs)");
        org.junit.jupiter.api.Assertions.assertThrows(dev.emo.UserError.class, () -> DistributionMeasures.compute(model, other, tok, texts));
    }
}

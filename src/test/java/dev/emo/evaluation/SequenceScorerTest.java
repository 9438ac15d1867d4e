package dev.emo.evaluation;

import dev.emo.Fixtures;
import dev.emo.models.CausalLM;
import dev.emo.registry.Models;
import dev.emo.tokenizers.Tokenizer;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Batched, padded, length-sorted scoring equals scoring each sequence alone with a naive log-softmax. */
class SequenceScorerTest {
    @Test
    void batchedEqualsOneByOneInInputOrder() {
        Path dir = Fixtures.model("stories260k");
        CausalLM model = Models.load(dir).model();
        Tokenizer tok = dev.emo.registry.ModelFamilies.tokenizer(dir);
        List<int[]> seqs = new ArrayList<>();
        for (String text : List.of("Once upon a time, there was a little girl named Lily.", "Tom had a red ball.",
                "The sun was hot and the dog was happy. They played all day in the park and then went home to sleep.", "Hi")) {
            seqs.add(tok.encode(text));
        }
        seqs.add(new int[]{tok.bosId()}); // one token: nothing to predict
        double[][] batched = SequenceScorer.tokenNll(model, seqs, 2);
        double[] mean = SequenceScorer.meanNll(model, seqs, 3);
        double worst = 0;
        for (int i = 0; i < seqs.size(); i++) {
            double[] direct = DirectNll.of(model, seqs.get(i));
            assertEquals(seqs.get(i).length - 1, batched[i].length, "sequence " + i);
            for (int t = 0; t < direct.length; t++) worst = Math.max(worst, Math.abs(direct[t] - batched[i][t]));
            if (direct.length > 0) assertEquals(Arrays.stream(direct).average().orElseThrow(), mean[i], 1e-5, "mean of sequence " + i);
        }
        System.out.printf("[scorer] max |batched − direct| token NLL: %.2e%n", worst);
        // float32 logits of a padded batch and of a single pass differ by rounding (README parity: ~1e-5 on stories260k)
        assertEquals(0, worst, 2e-5);
        assertEquals(Double.NaN, mean[seqs.size() - 1]);
    }
}

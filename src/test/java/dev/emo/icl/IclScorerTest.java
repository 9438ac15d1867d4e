package dev.emo.icl;

import dev.emo.Fixtures;
import dev.emo.SharedData;
import dev.emo.evaluation.DirectNll;
import dev.emo.models.CausalLM;
import dev.emo.registry.Models;
import dev.emo.tokenizers.Tokenizer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ICL scorer on real prompts: its pick equals the per-label loss computed directly; context fitting. */
@org.junit.jupiter.api.Tag("slow")   // left out of ./run.sh test --fast
class IclScorerTest {
    private static CausalLM stories;
    private static Tokenizer storiesTok;

    @BeforeAll
    static void loadStories() {
        Path dir = Fixtures.model("stories260k");
        stories = Models.load(dir).model();
        storiesTok = dev.emo.registry.ModelFamilies.tokenizer(dir);
    }

    private static List<Tasks.Item> items(String task, int n) {
        Assumptions.assumeTrue(Files.isDirectory(SharedData.data().resolve("cls")), SharedData.missingMessage("data/cls"));
        return Tasks.items(task, SharedData.data(), 42, n, 8, new HashedTfIdfEmbedder());
    }

    @Test
    void picksTheLabelWithTheLowestDirectlyComputedLossOnStories260k() {
        check(stories);                                   // every label's prompt scored whole
        check(Models.withKvCache(stories));               // the labels' shared prefix scored once
    }

    private static void check(CausalLM scoringModel) {
        CausalLM model = stories;
        IclScorer scorer = new IclScorer(scoringModel, storiesTok, 8);
        List<Tasks.Item> items = new ArrayList<>(items("sst2", 1));
        items.addAll(items("trec", 1));
        List<IclScorer.Prompts> prompts = items.stream().map(scorer::fit).toList();
        double[][] scores = scorer.scores(prompts);
        int[] predicted = scorer.predict(prompts);
        double worst = 0;
        for (int i = 0; i < items.size(); i++) {
            double[] direct = new double[prompts.get(i).ids().length];
            for (int label = 0; label < direct.length; label++) {
                int[] ids = prompts.get(i).ids()[label];
                // the loss of the whole prompt: summed token cross-entropy over its token count (OpenICL)
                direct[label] = Arrays.stream(DirectNll.of(model, ids)).sum() / ids.length;
                worst = Math.max(worst, Math.abs(direct[label] - scores[i][label]));
            }
            int argmin = 0;
            for (int label = 1; label < direct.length; label++) if (direct[label] < direct[argmin]) argmin = label;
            assertEquals(argmin, predicted[i], "item " + i + ": direct losses " + Arrays.toString(direct));
        }
        System.out.printf("[icl] max |scorer − direct| per-label loss (%s): %.2e%n",
                scoringModel.hasKvCache() ? "shared prefix, KV cache" : "whole prompts", worst);
        assertEquals(0, worst, 1e-5);
    }

    @Test
    void fittingDropsDemonstrationsFromTheLeastSimilarEnd() {
        Tokenizer tok = storiesTok;
        int context = stories.config().maxPositions();
        IclScorer scorer = new IclScorer(stories, tok, 8);
        for (Tasks.Item item : items("ag_news", 3)) {
            IclScorer.Prompts p = scorer.fit(item);
            int d = p.demos();
            assertTrue(d < item.demos().size(), "AG News prompts of 8 demonstrations exceed stories260k's 512 positions");
            for (int label = 0; label < p.ids().length; label++) {
                String text = item.template().prompt(item.demos().subList(0, d), item.query().text(), label);
                assertArrayEquals(tok.encode(text), p.ids()[label]);
                assertTrue(p.ids()[label].length <= context);
            }
            int longest = 0;
            for (int label = 0; label < p.ids().length; label++) {
                longest = Math.max(longest, tok.encode(item.template().prompt(item.demos().subList(0, d + 1), item.query().text(), label)).length);
            }
            assertTrue(longest > context, "one more demonstration would not fit");
        }
    }

    @Test
    void anInputTooLongForTheContextKeepsItsLeadingWords() {
        Path dir = Fixtures.model("tiny-gpt2"); // 128 positions
        Tokenizer tok = dev.emo.registry.ModelFamilies.tokenizer(dir);
        CausalLM model = Models.load(dir).model();
        String input = String.join(" ", Collections.nCopies(300, "word"));
        Tasks.Item item = new Tasks.Item(Template.classification("sst2"), List.of(new Example("good", 1)), new Example(input, 0));
        IclScorer.Prompts p = new IclScorer(model, tok, 8).fit(item);
        assertTrue(p.truncated() && p.demos() == 0);
        Template t = item.template();
        int kept = -1;
        for (int w = 0; w <= 300 && kept < 0; w++) {
            String cut = String.join(" ", Collections.nCopies(w, "word"));
            if (Arrays.equals(tok.encode(t.prompt(List.of(), cut, 0)), p.ids()[0])) kept = w;
        }
        assertTrue(kept > 0, "the prompt is the template around the input's leading words");
        String oneMore = String.join(" ", Collections.nCopies(kept + 1, "word"));
        assertTrue(Math.max(tok.encode(t.prompt(List.of(), oneMore, 0)).length, tok.encode(t.prompt(List.of(), oneMore, 1)).length)
                > model.config().maxPositions(), "one more word would not fit");
    }
}

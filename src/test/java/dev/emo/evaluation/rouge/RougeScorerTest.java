package dev.emo.evaluation.rouge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.emo.UserError;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.emo.evaluation.rouge.RougeReference.assertScores;
import static dev.emo.evaluation.rouge.RougeReference.scores;
import static dev.emo.evaluation.rouge.RougeReference.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every case of {@code rouge_reference.json}: tokens (plain and stemmed), the rougeLsum line split,
 * and all types × {P, R, F} with and without stemming to 1e-9; the plain mean over the cases; every
 * {@code score_multi} case.
 */
class RougeScorerTest {
    private static final Logger LOG = LogManager.getLogger(RougeScorerTest.class);

    private static List<String> types(JsonNode reference) {
        return strings(reference.get("library").get("rouge_types"));
    }

    @TestFactory
    List<DynamicNode> everyCase() {
        JsonNode reference = RougeReference.load();
        RougeScorer plain = new RougeScorer(types(reference), false);
        RougeScorer stemmed = new RougeScorer(types(reference), true);
        List<DynamicNode> cases = new ArrayList<>();
        for (JsonNode c : reference.get("cases")) {
            String ref = c.get("reference").asText();
            String pred = c.get("prediction").asText();
            cases.add(DynamicContainer.dynamicContainer(c.get("id").asText(), List.of(
                    DynamicTest.dynamicTest("tokens", () -> {
                        assertEquals(strings(c.get("reference_tokens")), plain.tokenizer().tokenize(ref));
                        assertEquals(strings(c.get("prediction_tokens")), plain.tokenizer().tokenize(pred));
                    }),
                    DynamicTest.dynamicTest("stemmed tokens", () -> {
                        assertEquals(strings(c.get("reference_tokens_stemmed")), stemmed.tokenizer().tokenize(ref));
                        assertEquals(strings(c.get("prediction_tokens_stemmed")), stemmed.tokenizer().tokenize(pred));
                    }),
                    DynamicTest.dynamicTest("rougeLsum lines", () -> {
                        assertEquals(strings(c.get("reference_sentences_for_lsum")), RougeTokenizer.summarySentences(ref));
                        assertEquals(strings(c.get("prediction_sentences_for_lsum")), RougeTokenizer.summarySentences(pred));
                    }),
                    DynamicTest.dynamicTest("scores", () -> assertScores(scores(c.get("scores")), plain.score(ref, pred), "unstemmed")),
                    DynamicTest.dynamicTest("stemmed scores",
                            () -> assertScores(scores(c.get("scores_stemmed")), stemmed.score(ref, pred), "stemmed")))));
        }
        return cases;
    }

    @Test
    void meanOverCases() {
        JsonNode reference = RougeReference.load();
        for (boolean stem : new boolean[] {false, true}) {
            RougeScorer scorer = new RougeScorer(types(reference), stem);
            List<Map<String, Score>> perCase = new ArrayList<>();
            for (JsonNode c : reference.get("cases")) perCase.add(scorer.score(c.get("reference").asText(), c.get("prediction").asText()));
            String key = stem ? "stemmed" : "unstemmed";
            double worst = assertScores(scores(reference.get("mean_over_cases").get(key)), RougeScorer.mean(perCase), key + " mean");
            LOG.info("mean over {} cases ({}): max |error| {}", perCase.size(), key, worst);
        }
    }

    /** The evaluation's scale (~4,000 pairs): 100 copies of the cases must keep the same mean. */
    @Test
    void meanAtEvaluationScale() {
        JsonNode reference = RougeReference.load();
        RougeScorer scorer = new RougeScorer(types(reference), true);
        List<Map<String, Score>> all = new ArrayList<>();
        long start = System.nanoTime();
        for (int copy = 0; copy < 100; copy++) {
            for (JsonNode c : reference.get("cases")) all.add(scorer.score(c.get("reference").asText(), c.get("prediction").asText()));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        assertScores(scores(reference.get("mean_over_cases").get("stemmed")), RougeScorer.mean(all), "mean of 100 copies");
        LOG.info("scored {} pairs (stemmed, 4 types) in {} s", all.size(), String.format("%.3f", seconds));
    }

    @TestFactory
    List<DynamicTest> scoreMulti() {
        JsonNode reference = RougeReference.load();
        RougeScorer scorer = new RougeScorer(types(reference), false);
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : reference.get("score_multi_cases")) {
            tests.add(DynamicTest.dynamicTest(c.get("id").asText(), () -> assertScores(scores(c.get("scores")),
                    scorer.scoreMulti(strings(c.get("references")), c.get("prediction").asText()), c.get("id").asText())));
        }
        assertFalse(tests.isEmpty(), "no score_multi_cases");
        return tests;
    }

    @Test
    void badTypesAreOneLineUserErrors() {
        for (List<String> types : List.<List<String>>of(List.of("rouge0"), List.of("rougeX"), List.of("rouge10"), List.of())) {
            UserError e = assertThrows(UserError.class, () -> new RougeScorer(types, false), types.toString());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            assertTrue(e.getMessage().contains(";"), "FILE: PROBLEM; FIX — " + e.getMessage());
        }
        assertEquals(List.of("rouge3", "rouge9"), new ArrayList<>(new RougeScorer(List.of("rouge3", "rouge9"), false)
                .score("a b c d", "a b c d").keySet()));
    }
}

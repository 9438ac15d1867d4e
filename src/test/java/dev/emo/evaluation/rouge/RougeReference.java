package dev.emo.evaluation.rouge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.SharedData;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code reference/rouge/rouge_reference.json} (rouge_score 0.1.2 + NLTK 3.8 output); skips the test where it is absent. */
final class RougeReference {
    static final String FILE = "reference/rouge/rouge_reference.json";
    /** The brief's tolerance; Python's repr round-trips, so the differences seen are float rounding only. */
    static final double TOLERANCE = 1e-9;

    private RougeReference() {}

    static JsonNode load() {
        Path file = SharedData.root().resolve(FILE);
        Assumptions.assumeTrue(Files.isRegularFile(file), SharedData.missingMessage(FILE));
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (JsonNode s : array) out.add(s.asText());
        return out;
    }

    /** {@code {"rouge1": {"precision":..,"recall":..,"fmeasure":..}, ...}} in file order. */
    static Map<String, Score> scores(JsonNode node) {
        Map<String, Score> out = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> out.put(e.getKey(), new Score(
                e.getValue().get("precision").asDouble(), e.getValue().get("recall").asDouble(),
                e.getValue().get("fmeasure").asDouble())));
        return out;
    }

    /** Every type of {@code expected} × {P, R, F} within {@link #TOLERANCE}; returns the largest |error|. */
    static double assertScores(Map<String, Score> expected, Map<String, Score> actual, String what) {
        assertEquals(expected.keySet(), actual.keySet(), what + ": ROUGE types");
        double worst = 0;
        for (String type : expected.keySet()) {
            Score e = expected.get(type);
            Score a = actual.get(type);
            assertEquals(e.precision(), a.precision(), TOLERANCE, what + " " + type + " precision");
            assertEquals(e.recall(), a.recall(), TOLERANCE, what + " " + type + " recall");
            assertEquals(e.fmeasure(), a.fmeasure(), TOLERANCE, what + " " + type + " fmeasure");
            worst = Math.max(worst, Math.max(Math.abs(e.precision() - a.precision()),
                    Math.max(Math.abs(e.recall() - a.recall()), Math.abs(e.fmeasure() - a.fmeasure()))));
        }
        return worst;
    }
}

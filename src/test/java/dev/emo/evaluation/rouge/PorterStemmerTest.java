package dev.emo.evaluation.rouge;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Every {@code porter_stems_nltk} entry: our stem equals NLTK 3.8's {@code PorterStemmer().stem(word)}. */
class PorterStemmerTest {
    @TestFactory
    List<DynamicTest> matchesNltk() {
        JsonNode stems = RougeReference.load().get("porter_stems_nltk");
        assertFalse(stems.isEmpty(), "porter_stems_nltk is empty");
        PorterStemmer stemmer = new PorterStemmer();
        List<DynamicTest> tests = new ArrayList<>();
        stems.fields().forEachRemaining(e -> tests.add(DynamicTest.dynamicTest(e.getKey() + " -> " + e.getValue().asText(),
                () -> assertEquals(e.getValue().asText(), stemmer.stem(e.getKey()), "stem of " + e.getKey()))));
        return tests;
    }
}

package dev.emo.icl;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Rendered prompts, character for character, against the templates as the issue (the paper) gives them. */
class TemplateTest {
    private static final String X = "the movie was fine";

    private static void assertLabels(String task, String... expected) {
        Template t = Template.classification(task);
        assertEquals(expected.length, t.numLabels(), task);
        for (int label = 0; label < expected.length; label++) {
            assertEquals(expected[label], t.prompt(List.of(), X, label), task + " label " + label);
        }
    }

    @Test
    void everyClassificationTaskRendersEveryLabel() {
        assertLabels("sst2", "Review: \"the movie was fine\" It is negative.", "Review: \"the movie was fine\" It is positive.");
        assertLabels("cr", "Review: \"the movie was fine\" It is negative.", "Review: \"the movie was fine\" It is positive.");
        assertLabels("rt", "Review: \"the movie was fine\" It is negative.", "Review: \"the movie was fine\" It is positive.");
        assertLabels("tweet_eval", "Tweet: \"the movie was fine\" It is anger.", "Tweet: \"the movie was fine\" It is joy.",
                "Tweet: \"the movie was fine\" It is optimism.", "Tweet: \"the movie was fine\" It is sadness.");
        assertLabels("trec", "Question: \"the movie was fine\" It is about abbreviation.", "Question: \"the movie was fine\" It is about entity.",
                "Question: \"the movie was fine\" It is about description and abstract concept.",
                "Question: \"the movie was fine\" It is about human being.", "Question: \"the movie was fine\" It is about location.",
                "Question: \"the movie was fine\" It is about numerical value.");
        assertLabels("subj", "\"the movie was fine\" It is objective.", "\"the movie was fine\" It is subjective.");
        assertLabels("ag_news", "\"the movie was fine\" It is about world.", "\"the movie was fine\" It is about sports.",
                "\"the movie was fine\" It is about business.", "\"the movie was fine\" It is about science and technology.");
    }

    @Test
    void demonstrationsUseTheirOwnLabelsOnePerLineMostSimilarFirst() {
        Template t = Template.classification("sst2");
        List<Example> demos = List.of(new Example("a gem", 1), new Example("dull and long", 0));
        assertEquals("Review: \"a gem\" It is positive.\nReview: \"dull and long\" It is negative.\nReview: \"so-so\" It is negative.",
                t.prompt(demos, "so-so", 0));
        assertEquals("Review: \"a gem\" It is positive.\nReview: \"dull and long\" It is negative.\nReview: \"so-so\" It is positive.",
                t.prompt(demos, "so-so", 1));
    }

    @Test
    void mmluIsHendrycksFiveShotFormat() {
        Template t = Template.mmlu("high_school_physics");
        List<Example> demos = List.of(new Example("What is 1+1?\nA. 1\nB. 2\nC. 3\nD. 4", 1),
                new Example("Which is a vector?\nA. mass\nB. time\nC. velocity\nD. energy", 2));
        String expected = "The following are multiple choice questions (with answers) about high school physics.\n\n"
                + "What is 1+1?\nA. 1\nB. 2\nC. 3\nD. 4\nAnswer: B\n\n"
                + "Which is a vector?\nA. mass\nB. time\nC. velocity\nD. energy\nAnswer: C\n\n"
                + "What is g?\nA. 9.8 m/s^2\nB. 1 m/s\nC. 0\nD. 3e8 m/s\nAnswer: D";
        assertEquals(expected, t.prompt(demos, "What is g?\nA. 9.8 m/s^2\nB. 1 m/s\nC. 0\nD. 3e8 m/s", 3));
    }
}

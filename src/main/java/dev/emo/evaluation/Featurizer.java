package dev.emo.evaluation;

import java.util.List;

/** Texts to feature vectors for MAUVE: one row per text, all rows the same width. */
public interface Featurizer extends AutoCloseable {
    /** What produced the features, for reports (e.g. "gpt2-large last hidden state"). */
    String name();

    float[][] features(List<String> texts);

    @Override
    default void close() {}
}

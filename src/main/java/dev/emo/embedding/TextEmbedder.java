package dev.emo.embedding;

import java.util.List;

/**
 * Texts to embedding rows (one per text, same width): the ICL retriever's and MAUVE's sentence
 * features. {@link SentenceEmbedder} is the dense one; ICL has a TF-IDF stand-in; tests pass fakes.
 */
@FunctionalInterface
public interface TextEmbedder extends AutoCloseable {
    float[][] embed(List<String> texts);

    /** What produces the rows, for reports (e.g. "all-MiniLM-L6-v2"). */
    default String name() {
        return getClass().getSimpleName();
    }

    /** Releases native resources; nothing by default. */
    @Override
    default void close() {}
}

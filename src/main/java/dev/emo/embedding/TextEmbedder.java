package dev.emo.embedding;

import java.util.List;

/**
 * Texts to embedding rows (one per text, same width): the ICL retriever's and MAUVE's sentence
 * features. {@link SentenceEmbedder} is the dense one; ICL has a TF-IDF stand-in; tests pass fakes.
 */
@FunctionalInterface
public interface TextEmbedder extends AutoCloseable {
    float[][] embed(List<String> texts);

    /** Releases native resources; nothing by default. */
    @Override
    default void close() {}
}

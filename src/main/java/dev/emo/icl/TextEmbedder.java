package dev.emo.icl;

import java.util.List;

/**
 * Texts to embedding rows (one per text, same width) for the retriever. The default is a dense
 * sentence embedder (all-MiniLM-L6-v2 through ONNX Runtime); tests pass a fake.
 */
@FunctionalInterface
public interface TextEmbedder extends AutoCloseable {
    float[][] embed(List<String> texts);

    /** Releases native resources; nothing by default. */
    @Override
    default void close() {}
}

package dev.emo.models;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;

/**
 * Each layer's keys and values for the tokens seen so far, [B, H, P, hd] per layer (LLaMA's
 * grouped kv heads already expanded to H). Arrays are off-heap: {@link #close} frees them at once
 * instead of waiting for the garbage collector, which matters when a step replaces the whole cache.
 */
public record KvCache(List<INDArray> keys, List<INDArray> values) implements AutoCloseable {
    /** Cached length P. */
    public long length() {
        return keys.isEmpty() ? 0 : keys.get(0).size(2);
    }

    /** The new tokens' logits [B, T, V] and the cache extended by them. */
    public record Step(INDArray logits, KvCache cache) {}

    @Override
    public void close() {
        for (List<INDArray> arrays : List.of(keys, values)) {
            for (INDArray a : arrays) if (a.closeable()) a.close();
        }
    }
}

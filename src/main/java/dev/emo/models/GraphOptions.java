package dev.emo.models;

/**
 * How a family's graph is built beyond its config: with the KV-cache placeholders for incremental
 * decoding, and/or with LoRA adapters on the targeted Linear layers (null: none).
 */
public record GraphOptions(boolean kvCache, LoraSpec lora) {
    public static final GraphOptions PLAIN = new GraphOptions(false, null);
    public static final GraphOptions KV_CACHE = new GraphOptions(true, null);

    public static GraphOptions of(boolean kvCache) {
        return kvCache ? KV_CACHE : PLAIN;
    }
}

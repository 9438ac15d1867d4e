package dev.emo.models;

import dev.emo.lowbit.BaseDType;

/**
 * How a family's graph is built beyond its config: with the KV-cache placeholders for incremental
 * decoding, with LoRA adapters on the targeted Linear layers (null: none), and with the base's
 * projection weights kept as {@code baseDtype} (anything but float32: frozen, off-heap, multiplied by
 * {@code execution.FrozenLinear}).
 */
public record GraphOptions(boolean kvCache, LoraSpec lora, BaseDType baseDtype) {
    public static final GraphOptions PLAIN = new GraphOptions(false, null);
    public static final GraphOptions KV_CACHE = new GraphOptions(true, null);

    public GraphOptions {
        if (baseDtype == null) baseDtype = BaseDType.FLOAT32;
    }

    public GraphOptions(boolean kvCache, LoraSpec lora) {
        this(kvCache, lora, BaseDType.FLOAT32);
    }

    public static GraphOptions of(boolean kvCache) {
        return kvCache ? KV_CACHE : PLAIN;
    }

    public GraphOptions withBaseDtype(BaseDType dtype) {
        return new GraphOptions(kvCache, lora, dtype);
    }
}

package dev.emo.lowbit;

import java.util.Locale;

/**
 * How a frozen base's Linear weights are kept in memory ({@code --base_dtype}). FLOAT32 is today's
 * graph (every weight a float array); the others keep each projection weight off-heap in its own
 * format and multiply through {@code execution.FrozenLinear}, which decodes a panel of rows at a time
 * into float32 scratch for sgemm. Embeddings, the head (the EMO cost embedding's source), norms,
 * biases, adapters and optimizer state stay float32.
 */
public enum BaseDType {
    FLOAT32("float32", 4),
    BFLOAT16("bfloat16", 2),
    FLOAT16("float16", 2),
    /** llama.cpp's Q8_0: per row, blocks of 32 int8 values with one float16 scale each (34 bytes per block). */
    Q8_0("q8_0", 0);

    public static final int Q8_BLOCK = 32;
    private static final int Q8_BLOCK_BYTES = 2 + Q8_BLOCK;

    private final String flag;
    private final int elementBytes;   // 0: block format

    BaseDType(String flag, int elementBytes) {
        this.flag = flag;
        this.elementBytes = elementBytes;
    }

    /** The value as {@code --base_dtype} spells it. */
    public String flag() {
        return flag;
    }

    /** Whether weights of this type go through the frozen-linear host op (everything but float32). */
    public boolean packed() {
        return this != FLOAT32;
    }

    /** Bytes one stored row of {@code cols} values takes (Q8_0: the last block is padded with zeros). */
    public long rowBytes(long cols) {
        return elementBytes > 0 ? cols * elementBytes : (cols + Q8_BLOCK - 1) / Q8_BLOCK * Q8_BLOCK_BYTES;
    }

    /** Bytes of a stored [rows, cols] matrix. */
    public long bytes(long rows, long cols) {
        return rows * rowBytes(cols);
    }

    /** The names {@code --base_dtype} accepts, "auto" first. */
    public static String choices() {
        StringBuilder s = new StringBuilder("auto");
        for (BaseDType t : values()) s.append('|').append(t.flag);
        return s.toString();
    }

    /** A {@code --base_dtype} value other than "auto", or null where it names none. */
    public static BaseDType parse(String value) {
        for (BaseDType t : values()) if (t.flag.equals(value.toLowerCase(Locale.ROOT))) return t;
        return null;
    }

    /**
     * What "auto" means: the checkpoint's own 16-bit type for a frozen (LoRA) base, float32 otherwise
     * (full fine-tuning updates every weight, in float32). {@code checkpointDtype}: "F32", "BF16", "F16"
     * as safetensors names them, or null (ONNX exports are float32).
     */
    public static BaseDType auto(String checkpointDtype, boolean frozenBase) {
        if (!frozenBase || checkpointDtype == null) return FLOAT32;
        return switch (checkpointDtype) {
            case "BF16" -> BFLOAT16;
            case "F16" -> FLOAT16;
            default -> FLOAT32;
        };
    }
}

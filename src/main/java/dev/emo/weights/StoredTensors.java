package dev.emo.weights;

import dev.emo.UserError;
import dev.emo.util.HalfFloats;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/** What every reader of stored tensors shares: the dtypes' widths, their decoding to float32, the non-finite message. */
public final class StoredTensors {
    private StoredTensors() {}

    /** Bytes of one value of a dtype as safetensors names it; -1 for a type no reader here supports. */
    public static int width(String dtype) {
        return switch (dtype) {
            case "F32", "I32" -> 4;
            case "F16", "BF16" -> 2;
            case "F64", "I64" -> 8;
            default -> -1;
        };
    }

    /** NaN or infinite weights would turn every logit into NaN, silently: refused at load (adapters and models alike). */
    public static UserError nonFinite(Path file, String name) {
        return UserError.of(file, name + " holds NaN or infinite values", "use a copy saved before training diverged, or retrain");
    }

    /** {@code n} values of {@code dtype} from {@code src} (little-endian) at byte {@code at} past its position, as float32, into dst[0, n). */
    public static void decode(String dtype, ByteBuffer src, int at, float[] dst, int n) {
        int base = src.position() + at;
        switch (dtype) {
            case "F32" -> { for (int i = 0; i < n; i++) dst[i] = src.getFloat(base + 4 * i); }
            case "F16" -> { for (int i = 0; i < n; i++) dst[i] = HalfFloats.halfToFloat(src.getShort(base + 2 * i)); }
            case "BF16" -> { for (int i = 0; i < n; i++) dst[i] = HalfFloats.bf16ToFloat(src.getShort(base + 2 * i)); }
            case "F64" -> { for (int i = 0; i < n; i++) dst[i] = (float) src.getDouble(base + 8 * i); }
            case "I64" -> { for (int i = 0; i < n; i++) dst[i] = src.getLong(base + 8 * i); }
            case "I32" -> { for (int i = 0; i < n; i++) dst[i] = src.getInt(base + 4 * i); }
            default -> throw new IllegalArgumentException("dtype " + dtype);
        }
    }
}

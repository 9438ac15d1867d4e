package dev.emo.embedding;

import com.fasterxml.jackson.databind.JsonNode;
import dev.emo.UserError;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How sentence-transformers' Pooling module turns token vectors into one sentence vector, followed
 * by the L2 normalisation of its Normalize module (always applied here: neighbours are searched by
 * cosine, which on unit rows is a dot product).
 */
public enum Pooling {
    /** average over the attention mask (all-MiniLM-L6-v2 and most sentence-transformers models) */
    MEAN,
    /** the [CLS] token's vector */
    CLS,
    /** element-wise maximum over the attention mask */
    MAX;

    /** From {@code 1_Pooling/config.json}: exactly one of the cls / mean / max modes must be on. */
    static Pooling fromConfig(JsonNode cfg, Path file) {
        List<Pooling> on = new ArrayList<>();
        if (cfg.path("pooling_mode_cls_token").asBoolean(false)) on.add(CLS);
        if (cfg.path("pooling_mode_mean_tokens").asBoolean(false)) on.add(MEAN);
        if (cfg.path("pooling_mode_max_tokens").asBoolean(false)) on.add(MAX);
        for (String other : new String[] {"pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"}) {
            if (cfg.path(other).asBoolean(false))
                throw UserError.of(file, other + " is not supported", "use a model pooled by cls, mean or max tokens");
        }
        if (on.size() != 1)
            throw UserError.of(file, on.isEmpty() ? "no pooling mode is on" : "several pooling modes are on " + on + " (concatenated pooling)",
                    "set exactly one of pooling_mode_cls_token, pooling_mode_mean_tokens, pooling_mode_max_tokens to true");
        return on.get(0);
    }

    /**
     * Pools sequence {@code row} of {@code hidden} [B, T, H] (flattened row-major) under its mask
     * [B, T] and L2-normalises the result into a new float[H].
     */
    float[] poolAndNormalize(float[] hidden, long[] mask, int row, int t, int h) {
        double[] acc = new double[h];
        int base = row * t * h;
        switch (this) {
            case CLS -> {
                for (int j = 0; j < h; j++) acc[j] = hidden[base + j];
            }
            case MEAN -> {
                int n = 0;
                for (int i = 0; i < t; i++) {
                    if (mask[row * t + i] == 0) continue;
                    n++;
                    for (int j = 0, o = base + i * h; j < h; j++) acc[j] += hidden[o + j];
                }
                for (int j = 0; j < h; j++) acc[j] /= Math.max(n, 1);
            }
            case MAX -> {
                java.util.Arrays.fill(acc, Double.NEGATIVE_INFINITY);
                for (int i = 0; i < t; i++) {
                    if (mask[row * t + i] == 0) continue;
                    for (int j = 0, o = base + i * h; j < h; j++) acc[j] = Math.max(acc[j], hidden[o + j]);
                }
            }
        }
        return normalize(acc);
    }

    /** Row {@code row} of an already pooled [B, H] output, L2-normalised. */
    static float[] normalizeRow(float[] pooled, int row, int h) {
        double[] x = new double[h];
        for (int j = 0; j < h; j++) x[j] = pooled[row * h + j];
        return normalize(x);
    }

    /** x / max(‖x‖, 1e-12), as torch.nn.functional.normalize */
    static float[] normalize(double[] x) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double inv = 1.0 / Math.max(Math.sqrt(ss), 1e-12);
        float[] out = new float[x.length];
        for (int j = 0; j < x.length; j++) out[j] = (float) (x[j] * inv);
        return out;
    }
}

package dev.emo.models;

/**
 * How a LLaMA-style config rescales the rotary frequencies (config.json's {@code rope_scaling}, or the
 * scaling keys inside transformers v5's {@code rope_parameters}), and the inverse frequencies that
 * follow, as transformers' {@code modeling_rope_utils} computes them. Only the types whose attention
 * factor is 1 are here: {@code default}, {@code linear} and {@code llama3}; the family's config reader
 * refuses the others (yarn, longrope, dynamic) by name.
 *
 * @param type                 "default", "linear" or "llama3"
 * @param factor               linear and llama3: the low frequencies are divided by it (≥ 1)
 * @param lowFreqFactor        llama3: wavelengths above original/lowFreqFactor are divided by factor
 * @param highFreqFactor       llama3: wavelengths below original/highFreqFactor are kept; between, smoothed
 * @param originalMaxPositions llama3: the context length the model was pretrained with
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {
    public static final RopeScaling NONE = new RopeScaling("default", 1, 0, 0, 0);
    public static final java.util.List<String> SUPPORTED = java.util.List.of("llama3", "linear");

    public RopeScaling {
        switch (type) {
            case "default" -> { }
            case "linear" -> require(factor >= 1 && Double.isFinite(factor), "factor must be a finite number ≥ 1");
            case "llama3" -> {
                require(factor >= 1 && Double.isFinite(factor), "factor must be a finite number ≥ 1");
                require(lowFreqFactor > 0 && highFreqFactor > lowFreqFactor && Double.isFinite(highFreqFactor),
                        "needs 0 < low_freq_factor < high_freq_factor");
                require(originalMaxPositions >= 1, "original_max_position_embeddings must be at least 1");
            }
            default -> throw new IllegalArgumentException("rope type '" + type + "' is not supported (supported: " + SUPPORTED + ")");
        }
    }

    private static void require(boolean ok, String what) {
        if (!ok) throw new IllegalArgumentException(what);
    }

    /**
     * The rotary inverse frequencies [rotaryDim/2] in float32, as transformers computes them:
     * θ^(−2i/d), then scaled by the type (llama3: kept above the high-frequency band, divided by
     * factor below the low one, and smoothly interpolated between).
     */
    public float[] inverseFrequencies(double theta, int rotaryDim) {
        int half = rotaryDim / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / rotaryDim;                  // arange(0, dim, 2).float() / dim
            float base = (float) Math.pow(theta, exponent);
            inv[i] = 1f / base;
            switch (type) {
                case "linear" -> inv[i] = (float) (inv[i] / factor);
                case "llama3" -> inv[i] = llama3(inv[i]);
                default -> { }
            }
        }
        return inv;
    }

    /** transformers' _compute_llama3_parameters for one frequency. */
    private float llama3(float inv) {
        double lowFreqWavelen = originalMaxPositions / lowFreqFactor, highFreqWavelen = originalMaxPositions / highFreqFactor;
        float wavelen = (float) (2 * Math.PI / inv);
        if (wavelen < highFreqWavelen) return inv;                        // high frequencies: kept
        if (wavelen > lowFreqWavelen) return (float) (inv / factor);      // low frequencies: divided
        float smooth = (float) ((originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor));
        return (float) ((1 - smooth) * inv / factor + smooth * inv);
    }
}

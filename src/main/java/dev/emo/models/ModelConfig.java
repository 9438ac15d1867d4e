package dev.emo.models;

import com.fasterxml.jackson.databind.JsonNode;
import dev.emo.UserError;

import java.nio.file.Path;

/**
 * The architecture fields of a Hugging Face {@code config.json}, under one set of names for every
 * family (GPT-2 says n_embd where OPT and LLaMA say hidden_size, and so on); each
 * {@link ModelFamily} reads its own field names into it.
 */
public record ModelConfig(
        Path file,
        String modelType,          // a registered family's model_type
        int vocabSize,
        int hiddenSize,
        int numLayers,
        int numHeads,
        int numKvHeads,            // = numHeads except LLaMA with grouped-query attention
        int intermediateSize,      // MLP width
        int maxPositions,
        double normEps,
        String activation,         // gelu_new | relu | silu
        boolean tieWordEmbeddings,
        boolean preLayerNorm,      // OPT's do_layer_norm_before; GPT-2/LLaMA are always pre-norm
        int wordEmbedProjDim,      // OPT: embedding width (≠ hidden size in the opt-350m layout)
        double ropeTheta,
        int bosTokenId,
        int eosTokenId,
        int padTokenId,
        int headDim,               // per attention head; LLaMA-style configs may set it apart from hidden/heads (Qwen3)
        RopeScaling ropeScaling,   // rotary frequency scaling (LLaMA-style families); RopeScaling.NONE elsewhere
        int slidingWindow,         // Mistral: query i sees key j only if j > i − W (sequence indices); 0: no window
        LayerVariant variant) {    // biases and q/k norms that LLaMA-derived families add

    /** A head width derived from hidden/heads that does not divide: reported by {@link #validate}. */
    static final int NOT_DIVISIBLE = -1;

    /** The fields every family has: head width hidden/heads, no rotary scaling, no window, no extra biases or norms. */
    public ModelConfig(Path file, String modelType, int vocabSize, int hiddenSize, int numLayers, int numHeads, int numKvHeads,
                       int intermediateSize, int maxPositions, double normEps, String activation, boolean tieWordEmbeddings,
                       boolean preLayerNorm, int wordEmbedProjDim, double ropeTheta, int bosTokenId, int eosTokenId, int padTokenId) {
        this(file, modelType, vocabSize, hiddenSize, numLayers, numHeads, numKvHeads, intermediateSize, maxPositions, normEps,
                activation, tieWordEmbeddings, preLayerNorm, wordEmbedProjDim, ropeTheta, bosTokenId, eosTokenId, padTokenId,
                derivedHeadDim(hiddenSize, numHeads), RopeScaling.NONE, 0, LayerVariant.PLAIN);
    }

    /** hidden/heads, or {@link #NOT_DIVISIBLE} (0 heads included: validate reports that first). */
    public static int derivedHeadDim(int hiddenSize, int numHeads) {
        return numHeads > 0 && hiddenSize % numHeads == 0 ? hiddenSize / numHeads : NOT_DIVISIBLE;
    }

    /** Where LLaMA-derived families differ from LLaMA inside a layer. */
    public record LayerVariant(boolean qkvBias, boolean outputBias, boolean mlpBias, boolean qkNorm) {
        public static final LayerVariant PLAIN = new LayerVariant(false, false, false, false);
    }

    /** The same config with another head width, window and layer variant (what LLaMA-derived families add). */
    public ModelConfig with(int headDim, RopeScaling ropeScaling, int slidingWindow, LayerVariant variant) {
        return new ModelConfig(file, modelType, vocabSize, hiddenSize, numLayers, numHeads, numKvHeads, intermediateSize, maxPositions,
                normEps, activation, tieWordEmbeddings, preLayerNorm, wordEmbedProjDim, ropeTheta, bosTokenId, eosTokenId, padTokenId,
                headDim, ropeScaling, slidingWindow, variant);
    }

    /**
     * At least the bytes of float32 activations for one pass over {@code rows} × {@code length} tokens: the
     * logits over the vocabulary, per layer four hidden-wide and one MLP-wide activation and the attention
     * scores (rows × heads × length²); twice that when gradients flow back ({@code training}).
     */
    public double activationBytes(long rows, long length, boolean training) {
        double logits = 4.0 * rows * length * vocabSize * (training ? 2 : 1);
        return logits + numLayers * layerActivationBytes(rows, length, training);
    }

    /**
     * One layer's share of {@link #activationBytes}: four hidden-wide and one MLP-wide float per token and
     * the attention scores (rows × heads × length²), twice that with gradients (what gradient checkpointing
     * holds for the one layer it recomputes at a time).
     */
    public double layerActivationBytes(long rows, long length, boolean training) {
        double tokens = (double) rows * length;
        double attention = (double) rows * numHeads * length * length;
        return 4.0 * (tokens * (4.0 * hiddenSize + intermediateSize) + attention) * (training ? 2 : 1);
    }

    /** Checks shapes that would otherwise fail deep inside the graph. */
    public ModelConfig validate() {
        // a zero or negative size would reach libnd4j as a shape and crash the JVM (issue #11)
        String[] names = {"vocab size", "hidden size", "layer count", "attention heads", "key/value heads", "MLP width",
                "max_position_embeddings", "embedding width"};
        int[] sizes = {vocabSize, hiddenSize, numLayers, numHeads, numKvHeads, intermediateSize, maxPositions, wordEmbedProjDim};
        for (int i = 0; i < sizes.length; i++) {
            if (sizes[i] < 1) throw UserError.of(file, names[i] + " is " + sizes[i], "fix config.json: every size must be at least 1");
        }
        if (!(normEps >= 0 && Double.isFinite(normEps))) throw UserError.of(file, "norm epsilon is " + normEps, "fix config.json");
        if (headDim == NOT_DIVISIBLE) {
            throw UserError.of(file, "hidden size " + hiddenSize + " is not divisible by " + numHeads + " heads", "fix config.json");
        }
        if (headDim < 1) throw UserError.of(file, "head_dim is " + headDim, "fix config.json: head_dim must be at least 1");
        if (slidingWindow < 0) throw UserError.of(file, "sliding_window is " + slidingWindow, "fix config.json: a window is at least 1 (null: none)");
        if (ropeScaling == null || variant == null) throw new IllegalArgumentException("ropeScaling and variant are required (NONE, PLAIN)");
        if (numHeads % numKvHeads != 0) {
            throw UserError.of(file, numHeads + " attention heads are not a multiple of " + numKvHeads + " key/value heads",
                    "fix num_key_value_heads in config.json");
        }
        return this;
    }

    /** An integer field of config.json that must be there. */
    public static int required(JsonNode j, Path file, String field) {
        JsonNode n = j.get(field);
        if (n == null || !n.canConvertToInt()) {
            throw UserError.of(file, "missing integer field '" + field + "'", "restore config.json from the model repo");
        }
        return n.asInt();
    }

    /** A text field of config.json, or {@code dflt} when absent or null. */
    public static String text(JsonNode j, String field, String dflt) {
        JsonNode n = j.get(field);
        return n == null || n.isNull() ? dflt : n.asText();
    }
}

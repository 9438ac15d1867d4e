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
        int padTokenId) {

    public int headDim() {
        return hiddenSize / numHeads;
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
        if (hiddenSize % numHeads != 0) {
            throw UserError.of(file, "hidden size " + hiddenSize + " is not divisible by " + numHeads + " heads", "fix config.json");
        }
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

package dev.emo.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The architecture fields of a Hugging Face {@code config.json}, under one set of names for the
 * three families (GPT-2 says n_embd where OPT and LLaMA say hidden_size, and so on).
 */
public record ModelConfig(
        Path file,
        String modelType,          // gpt2 | opt | llama
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

    /** OPT's learned positions start at index 2 (fairseq's padding offset). */
    public static final int OPT_POSITION_OFFSET = 2;

    public int headDim() {
        return hiddenSize / numHeads;
    }

    public static ModelConfig read(Path modelDir) {
        Path file = modelDir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw UserError.of(file, "missing", "copy config.json from the Hugging Face model repo next to the ONNX file");
        }
        JsonNode j;
        try {
            j = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw UserError.of(file, "is not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")", "restore the file from the model repo");
        }
        String type = text(j, "model_type", null);
        if (type == null) throw UserError.of(file, "has no model_type", "add \"model_type\": \"gpt2\" | \"opt\" | \"llama\"");
        return switch (type) {
            case "gpt2" -> new ModelConfig(file, type,
                    req(j, file, "vocab_size"), req(j, file, "n_embd"), req(j, file, "n_layer"),
                    req(j, file, "n_head"), req(j, file, "n_head"),
                    j.has("n_inner") && !j.get("n_inner").isNull() ? j.get("n_inner").asInt() : 4 * req(j, file, "n_embd"),
                    req(j, file, "n_positions"), j.path("layer_norm_epsilon").asDouble(1e-5),
                    text(j, "activation_function", "gelu_new"), j.path("tie_word_embeddings").asBoolean(true),
                    true, req(j, file, "n_embd"), 0,
                    j.path("bos_token_id").asInt(50256), j.path("eos_token_id").asInt(50256), -1);
            case "opt" -> new ModelConfig(file, type,
                    req(j, file, "vocab_size"), req(j, file, "hidden_size"), req(j, file, "num_hidden_layers"),
                    req(j, file, "num_attention_heads"), req(j, file, "num_attention_heads"),
                    req(j, file, "ffn_dim"), req(j, file, "max_position_embeddings"), 1e-5,
                    text(j, "activation_function", "relu"), j.path("tie_word_embeddings").asBoolean(true),
                    j.path("do_layer_norm_before").asBoolean(true),
                    j.path("word_embed_proj_dim").asInt(req(j, file, "hidden_size")), 0,
                    j.path("bos_token_id").asInt(2), j.path("eos_token_id").asInt(2), j.path("pad_token_id").asInt(1));
            case "llama" -> new ModelConfig(file, type,
                    req(j, file, "vocab_size"), req(j, file, "hidden_size"), req(j, file, "num_hidden_layers"),
                    req(j, file, "num_attention_heads"),
                    j.path("num_key_value_heads").asInt(req(j, file, "num_attention_heads")),
                    req(j, file, "intermediate_size"), req(j, file, "max_position_embeddings"),
                    j.path("rms_norm_eps").asDouble(1e-6), text(j, "hidden_act", "silu"),
                    j.path("tie_word_embeddings").asBoolean(false), true, req(j, file, "hidden_size"),
                    j.path("rope_theta").asDouble(10000.0),
                    j.path("bos_token_id").asInt(1), j.path("eos_token_id").asInt(2), j.path("pad_token_id").asInt(-1));
            default -> throw UserError.of(file, "unknown model_type '" + type + "'",
                    "supported: gpt2, opt, llama (export one of those architectures)");
        };
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
        if (modelType.equals("llama") && !activation.equals("silu")) {
            throw UserError.of(file, "hidden_act '" + activation + "' is not supported for llama", "only silu (SwiGLU) is");
        }
        if (modelType.equals("gpt2") && !activation.equals("gelu_new") && !activation.equals("gelu_pytorch_tanh")) {
            throw UserError.of(file, "activation_function '" + activation + "' is not supported for gpt2", "only gelu_new is");
        }
        if (modelType.equals("opt") && !activation.equals("relu")) {
            throw UserError.of(file, "activation_function '" + activation + "' is not supported for opt", "only relu is");
        }
        return this;
    }

    private static int req(JsonNode j, Path file, String field) {
        JsonNode n = j.get(field);
        if (n == null || !n.canConvertToInt()) {
            throw UserError.of(file, "missing integer field '" + field + "'", "restore config.json from the model repo");
        }
        return n.asInt();
    }

    private static String text(JsonNode j, String field, String dflt) {
        JsonNode n = j.get(field);
        return n == null || n.isNull() ? dflt : n.asText();
    }
}

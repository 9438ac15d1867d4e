package dev.emo.models.llama;

import com.fasterxml.jackson.databind.JsonNode;
import dev.emo.UserError;
import dev.emo.models.ModelConfig;
import dev.emo.models.ModelConfig.LayerVariant;
import dev.emo.models.RopeScaling;

import java.nio.file.Path;

import static dev.emo.models.ModelConfig.required;
import static dev.emo.models.ModelConfig.text;

/**
 * config.json of LLaMA and the families built on its layer (Qwen2, Qwen3, Mistral): the fields they
 * share, read under transformers' names, and every field that would change the math but is not
 * implemented refused with one line naming it — nothing is silently ignored. The family says what it
 * adds (its {@link LayerVariant} and sliding window).
 */
public final class LlamaStyleConfig {
    private LlamaStyleConfig() {}

    /**
     * @param variant       the biases and q/k norms the family's layers have
     * @param slidingWindow the family's attention window (0: none)
     */
    public static ModelConfig read(JsonNode j, Path file, String modelType, LayerVariant variant, int slidingWindow) {
        refuseUnsupported(j, file, modelType);
        int d = required(j, file, "hidden_size"), heads = required(j, file, "num_attention_heads");
        JsonNode rope = ropeParameters(j);
        double theta = rope != null && rope.has("rope_theta") ? number(rope, "rope_theta", file, "rope_parameters.")
                : j.has("rope_theta") && !j.get("rope_theta").isNull() ? number(j, "rope_theta", file, "") : 10000.0;
        if (!(theta > 1) || Double.isInfinite(theta)) {
            throw UserError.of(file, "rope_theta is " + theta, "fix config.json: the rotary base must be a finite number above 1");
        }
        int headDim = headDim(j, file, d, heads);
        ModelConfig plain = new ModelConfig(file, modelType, required(j, file, "vocab_size"), d, required(j, file, "num_hidden_layers"),
                heads, optionalInt(j, "num_key_value_heads", heads, file), required(j, file, "intermediate_size"),
                required(j, file, "max_position_embeddings"), j.path("rms_norm_eps").asDouble(1e-6), "silu",
                j.path("tie_word_embeddings").asBoolean(false), true, d, theta,
                firstId(j, "bos_token_id", 1), firstId(j, "eos_token_id", 2), firstId(j, "pad_token_id", -1));
        return plain.with(headDim, scaling(rope, file), slidingWindow, variant);
    }

    /** A boolean field (absent or null: false); anything but true/false is an error naming it. */
    public static boolean flag(JsonNode j, String field, Path file) {
        JsonNode n = j.get(field);
        if (n == null || n.isNull()) return false;
        if (!n.isBoolean()) throw UserError.of(file, field + " is " + n, "fix config.json: " + field + " is true or false");
        return n.asBoolean();
    }

    /** An integer field, {@code dflt} when absent or null. */
    public static int optionalInt(JsonNode j, String field, int dflt, Path file) {
        JsonNode n = j.get(field);
        if (n == null || n.isNull()) return dflt;
        if (!n.canConvertToInt()) throw UserError.of(file, field + " is " + n, "fix config.json: " + field + " is a whole number");
        return n.asInt();
    }

    /** Fields whose math is not implemented: each is refused by name and value before any graph exists. */
    private static void refuseUnsupported(JsonNode j, Path file, String modelType) {
        String act = text(j, "hidden_act", "silu");
        if (!act.equals("silu")) {
            throw UserError.of(file, "hidden_act '" + act + "' is not supported for " + modelType, "only silu (SwiGLU) is");
        }
        for (String cap : new String[] {"final_logit_softcapping", "attn_logit_softcapping", "logit_softcapping"}) {
            JsonNode n = j.get(cap);
            if (n != null && !n.isNull()) {
                throw UserError.of(file, cap + " " + n + " is not supported (logit soft-capping)", "use a model without soft-capping");
            }
        }
        JsonNode rope = ropeParameters(j);
        JsonNode partial = j.has("partial_rotary_factor") ? j.get("partial_rotary_factor")
                : rope == null ? null : rope.get("partial_rotary_factor");
        if (partial != null && !partial.isNull() && partial.asDouble() != 1.0) {
            throw UserError.of(file, "partial_rotary_factor " + partial + " is not supported (rotary on part of each head)",
                    "only 1.0 (the whole head) is supported");
        }
        // Qwen's use_sliding_window (false in every released Qwen2.5/Qwen3 config) windows only the layers from
        // max_window_layers on: not implemented (Mistral's window, every layer, is its family's sliding_window)
        if (flag(j, "use_sliding_window", file)) {
            throw UserError.of(file, "use_sliding_window true is not supported for " + modelType,
                    "set \"use_sliding_window\": false (as the released models ship)");
        }
        JsonNode types = j.get("layer_types");
        if (types != null && types.isArray()) {
            for (JsonNode t : types) {
                if (!t.asText().equals("full_attention")) {
                    throw UserError.of(file, "layer_types holds '" + t.asText() + "'", "only full_attention layers are supported for " + modelType);
                }
            }
        }
    }

    /** head_dim where the config gives it (Qwen3, Mistral-Nemo), else hidden/heads. */
    private static int headDim(JsonNode j, Path file, int hidden, int heads) {
        JsonNode n = j.get("head_dim");
        int hd = n == null || n.isNull() ? ModelConfig.derivedHeadDim(hidden, heads) : optionalInt(j, "head_dim", 0, file);
        if (n != null && !n.isNull() && hd < 1) throw UserError.of(file, "head_dim is " + hd, "fix config.json: head_dim must be at least 1");
        if (hd > 0 && hd % 2 != 0) throw UserError.of(file, "head_dim " + hd + " is odd", "rotary embeddings rotate pairs: fix head_dim");
        return hd;
    }

    /** transformers v5's rope_parameters, else the older rope_scaling (null where neither is set). */
    private static JsonNode ropeParameters(JsonNode j) {
        for (String field : new String[] {"rope_parameters", "rope_scaling"}) {
            JsonNode n = j.get(field);
            if (n != null && n.isObject()) return n;
        }
        return null;
    }

    private static RopeScaling scaling(JsonNode rope, Path file) {
        if (rope == null) return RopeScaling.NONE;
        String field = rope.has("rope_theta") ? "rope_parameters" : "rope_scaling";
        JsonNode t = rope.has("rope_type") ? rope.get("rope_type") : rope.get("type");   // "type": the older name
        String type = t == null || t.isNull() ? "default" : t.asText();
        if (type.equals("default")) return RopeScaling.NONE;
        if (!RopeScaling.SUPPORTED.contains(type)) {
            throw UserError.of(file, field + ".rope_type '" + type + "' is not supported (supported: "
                    + String.join(", ", RopeScaling.SUPPORTED) + ")", "use a model whose rotary scaling is one of those");
        }
        String p = field + ".";
        try {
            return type.equals("linear") ? new RopeScaling(type, number(rope, "factor", file, p), 0, 0, 0)
                    : new RopeScaling(type, number(rope, "factor", file, p), number(rope, "low_freq_factor", file, p),
                    number(rope, "high_freq_factor", file, p), (int) number(rope, "original_max_position_embeddings", file, p));
        } catch (IllegalArgumentException e) {
            throw UserError.of(file, field + " " + rope + ": " + e.getMessage(), "fix config.json");
        }
    }

    private static double number(JsonNode node, String field, Path file, String prefix) {
        JsonNode n = node.get(field);
        if (n == null || !n.isNumber()) {
            throw UserError.of(file, prefix + field + " is " + (n == null ? "missing" : n.toString()), "fix config.json: it must be a number");
        }
        return n.asDouble();
    }

    /** A token id field; Llama 3 writes eos_token_id as a list (the first is the one we stop on). */
    private static int firstId(JsonNode j, String field, int dflt) {
        JsonNode n = j.get(field);
        if (n == null || n.isNull()) return dflt;
        if (n.isArray()) return n.isEmpty() ? dflt : n.get(0).asInt(dflt);
        return n.asInt(dflt);
    }
}

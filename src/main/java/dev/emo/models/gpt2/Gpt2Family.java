package dev.emo.models.gpt2;

import com.fasterxml.jackson.databind.JsonNode;
import dev.emo.UserError;
import dev.emo.models.CausalLM;
import dev.emo.models.GraphOptions;
import dev.emo.models.ModelConfig;
import dev.emo.models.ModelFamily;

import java.nio.file.Path;
import java.util.Map;

import static dev.emo.models.ModelConfig.required;
import static dev.emo.models.ModelConfig.text;

/** GPT-2 (GPT2LMHeadModel): config names n_embd/n_layer/n_head/n_positions, gelu_new, tied head, byte-level BPE. */
public final class Gpt2Family implements ModelFamily {
    @Override
    public String modelType() {
        return "gpt2";
    }

    @Override
    public ModelConfig config(JsonNode j, Path file) {
        int d = required(j, file, "n_embd");
        String act = text(j, "activation_function", "gelu_new");
        if (!act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh")) {
            throw UserError.of(file, "activation_function '" + act + "' is not supported for gpt2", "only gelu_new is");
        }
        // attention scaled by 1/√hd and nothing else, as every released GPT-2 does
        if (!j.path("scale_attn_weights").asBoolean(true) || j.path("scale_attn_by_inverse_layer_idx").asBoolean(false)
                || j.path("reorder_and_upcast_attn").asBoolean(false)) {
            throw UserError.of(file, "scale_attn_weights false, scale_attn_by_inverse_layer_idx or reorder_and_upcast_attn is not supported for gpt2",
                    "only the released GPT-2 attention (scaled by 1/sqrt(head_dim)) is");
        }
        return new ModelConfig(file, modelType(), required(j, file, "vocab_size"), d, required(j, file, "n_layer"),
                required(j, file, "n_head"), required(j, file, "n_head"),
                j.has("n_inner") && !j.get("n_inner").isNull() ? j.get("n_inner").asInt() : 4 * d,
                required(j, file, "n_positions"), j.path("layer_norm_epsilon").asDouble(1e-5), act,
                j.path("tie_word_embeddings").asBoolean(true), true, d, 0,
                j.path("bos_token_id").asInt(50256), j.path("eos_token_id").asInt(50256), -1);
    }

    @Override
    public CausalLM build(ModelConfig config, GraphOptions options) {
        return new Gpt2(config, options);
    }

    /** GPT2LMHeadModel's keys; GPT2Model checkpoints (the original "gpt2") lack the prefix and carry causal-mask buffers. */
    @Override
    public String parameterName(String key) {
        if (key.endsWith(".attn.bias") || key.endsWith(".attn.masked_bias")) return null;
        return key.startsWith("transformer.") || key.startsWith("lm_head.") ? key : "transformer." + key;
    }

    @Override
    public boolean loraFanInFanOut() {
        return true;
    }

    @Override
    public java.util.List<String> defaultLoraTargets() {
        return java.util.List.of("c_attn");   // PEFT's TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING
    }

    @Override
    public String tokenizerConventions() {
        return "GPT2";
    }

    @Override
    public boolean isNorm(String hfName) {
        return hfName.contains(".ln_");     // transformer.h.N.ln_1/ln_2, transformer.ln_f
    }

    @Override
    public Map<String, ModelConfig> referenceSizes() {
        return Map.of(
                "gpt2-small", size("gpt2-small", 768, 12, 12),
                "gpt2-medium", size("gpt2-medium", 1024, 24, 16),
                "gpt2-large", size("gpt2-large", 1280, 36, 20));
    }

    private ModelConfig size(String name, int d, int layers, int heads) {
        return new ModelConfig(Path.of("<" + name + ">"), modelType(), 50257, d, layers, heads, heads, 4 * d, 1024, 1e-5,
                "gelu_new", true, true, d, 0, 50256, 50256, -1);
    }
}

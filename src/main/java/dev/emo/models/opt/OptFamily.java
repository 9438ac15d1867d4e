package dev.emo.models.opt;

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

/** OPT (OPTForCausalLM): both layouts (pre-LN; post-LN with project_in/out), ReLU, learned positions offset by 2. */
public final class OptFamily implements ModelFamily {
    @Override
    public String modelType() {
        return "opt";
    }

    @Override
    public ModelConfig config(JsonNode j, Path file) {
        String act = text(j, "activation_function", "relu");
        if (!act.equals("relu")) throw UserError.of(file, "activation_function '" + act + "' is not supported for opt", "only relu is");
        for (String field : new String[] {"enable_bias", "layer_norm_elementwise_affine"}) {   // true in every released OPT
            if (!j.path(field).asBoolean(true)) {
                throw UserError.of(file, field + " false is not supported for opt", "only OPT's released layout (biases and affine norms) is");
            }
        }
        int d = required(j, file, "hidden_size");
        return new ModelConfig(file, modelType(), required(j, file, "vocab_size"), d, required(j, file, "num_hidden_layers"),
                required(j, file, "num_attention_heads"), required(j, file, "num_attention_heads"),
                required(j, file, "ffn_dim"), required(j, file, "max_position_embeddings"), 1e-5, act,
                j.path("tie_word_embeddings").asBoolean(true), j.path("do_layer_norm_before").asBoolean(true),
                j.path("word_embed_proj_dim").asInt(d), 0,
                j.path("bos_token_id").asInt(2), j.path("eos_token_id").asInt(2), j.path("pad_token_id").asInt(1));
    }

    @Override
    public CausalLM build(ModelConfig config, GraphOptions options) {
        return new Opt(config, options);
    }

    /** OPTForCausalLM's keys; OPTModel checkpoints lack the "model." prefix. */
    @Override
    public String parameterName(String key) {
        return key.startsWith("decoder.") ? "model." + key : key;
    }

    @Override
    public java.util.List<String> defaultLoraTargets() {
        return java.util.List.of("q_proj", "v_proj");   // PEFT's TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING
    }

    @Override
    public String tokenizerConventions() {
        return "OPT";
    }

    @Override
    public boolean isNorm(String hfName) {
        return hfName.contains("layer_norm");   // self_attn_layer_norm, final_layer_norm (per layer and the decoder's)
    }

    @Override
    public Map<String, ModelConfig> referenceSizes() {
        return Map.of(
                "opt-125m", new ModelConfig(Path.of("<opt-125m>"), modelType(), 50272, 768, 12, 12, 12, 3072, 2048, 1e-5,
                        "relu", true, true, 768, 0, 2, 2, 1),
                // post-LN, 512-wide embeddings projected in and out
                "opt-350m", new ModelConfig(Path.of("<opt-350m>"), modelType(), 50272, 1024, 24, 16, 16, 4096, 2048, 1e-5,
                        "relu", true, false, 512, 0, 2, 2, 1),
                "opt-1.3b", new ModelConfig(Path.of("<opt-1.3b>"), modelType(), 50272, 2048, 24, 32, 32, 8192, 2048, 1e-5,
                        "relu", true, true, 2048, 0, 2, 2, 1));
    }
}

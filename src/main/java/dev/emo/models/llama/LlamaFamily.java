package dev.emo.models.llama;

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

/** LLaMA (LlamaForCausalLM): RMSNorm, SwiGLU, rotary positions, grouped-query attention, SentencePiece-style BPE. */
public final class LlamaFamily implements ModelFamily {
    @Override
    public String modelType() {
        return "llama";
    }

    @Override
    public ModelConfig config(JsonNode j, Path file) {
        String act = text(j, "hidden_act", "silu");
        if (!act.equals("silu")) throw UserError.of(file, "hidden_act '" + act + "' is not supported for llama", "only silu (SwiGLU) is");
        int d = required(j, file, "hidden_size"), heads = required(j, file, "num_attention_heads");
        return new ModelConfig(file, modelType(), required(j, file, "vocab_size"), d, required(j, file, "num_hidden_layers"),
                heads, j.path("num_key_value_heads").asInt(heads), required(j, file, "intermediate_size"),
                required(j, file, "max_position_embeddings"), j.path("rms_norm_eps").asDouble(1e-6), act,
                j.path("tie_word_embeddings").asBoolean(false), true, d, j.path("rope_theta").asDouble(10000.0),
                j.path("bos_token_id").asInt(1), j.path("eos_token_id").asInt(2), j.path("pad_token_id").asInt(-1));
    }

    @Override
    public CausalLM build(ModelConfig config, GraphOptions options) {
        return new Llama(config, options);
    }

    /** Older checkpoints store each layer's rotary inv_freq buffer; the graph computes it. */
    @Override
    public String parameterName(String key) {
        return key.endsWith("rotary_emb.inv_freq") ? null : key;
    }

    @Override
    public java.util.List<String> defaultLoraTargets() {
        return java.util.List.of("q_proj", "v_proj");   // PEFT's TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING
    }

    @Override
    public String tokenizerConventions() {
        return "LLAMA";
    }

    @Override
    public boolean isNorm(String hfName) {
        return hfName.endsWith("norm.weight");  // input_layernorm, post_attention_layernorm, model.norm
    }

    @Override
    public Map<String, ModelConfig> referenceSizes() {
        return Map.of("llama-tiny", new ModelConfig(Path.of("<llama-tiny>"), modelType(), 32000, 512, 8, 8, 4, 1376, 2048, 1e-5,
                "silu", true, true, 512, 10000, 1, 2, -1));
    }
}

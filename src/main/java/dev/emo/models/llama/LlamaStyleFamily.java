package dev.emo.models.llama;

import dev.emo.models.CausalLM;
import dev.emo.models.GraphOptions;
import dev.emo.models.ModelConfig;
import dev.emo.models.ModelFamily;

import java.util.List;

/**
 * What LLaMA and the families built on its layer (Qwen2, Qwen3, Mistral) share beyond the config:
 * the graph ({@link Llama}, shaped by the config's layer variant and window), Hugging Face's
 * parameter names, PEFT's default LoRA targets, and which parameters are norms. Each family is its
 * own package with a subclass that reads its config.json.
 */
public abstract class LlamaStyleFamily implements ModelFamily {
    @Override
    public CausalLM build(ModelConfig config, GraphOptions options) {
        return new Llama(config, options);
    }

    /** Older checkpoints store each layer's rotary inv_freq buffer; the graph computes it. */
    @Override
    public String parameterName(String key) {
        return key.endsWith("rotary_emb.inv_freq") ? null : key;
    }

    /** PEFT's TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING: q_proj, v_proj for llama, qwen2, qwen3 and mistral. */
    @Override
    public List<String> defaultLoraTargets() {
        return List.of("q_proj", "v_proj");
    }

    /** input_layernorm, post_attention_layernorm, model.norm, and Qwen3's q_norm/k_norm. */
    @Override
    public boolean isNorm(String hfName) {
        return hfName.endsWith("norm.weight");
    }
}

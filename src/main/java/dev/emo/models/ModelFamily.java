package dev.emo.models;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.Map;

/**
 * One architecture family (GPT-2, OPT, LLaMA, Qwen2, Qwen3, Mistral): everything that differs between families, so that
 * adding one is a package implementing this and one line in {@code registry.ModelFamilies}.
 */
public interface ModelFamily {
    /** config.json's {@code model_type}. */
    String modelType();

    /** config.json's fields (the family's own names) as a {@link ModelConfig}; unsupported settings are one-line errors. */
    ModelConfig config(JsonNode json, Path file);

    /** The SameDiff graph, built as the options say (KV cache for decoding, LoRA adapters). */
    CausalLM build(ModelConfig config, GraphOptions options);

    /** Whether the family's Linear weights are stored [in, out] (GPT-2's Conv1D): PEFT's fan_in_fan_out. */
    default boolean loraFanInFanOut() {
        return false;
    }

    /** PEFT's default LoRA target_modules for this family. */
    java.util.List<String> defaultLoraTargets();

    /** Which tokenizer conventions Hugging Face applies in Python for this family: GPT2, OPT, LLAMA or QWEN. */
    String tokenizerConventions();

    /** Whether a parameter (by Hugging Face name) is a LayerNorm/RMSNorm gain or bias: unit-initialised, never decayed. */
    boolean isNorm(String hfName);

    /** Hugging Face's Trainer rule: weight decay skips biases and norm parameters. */
    default boolean decays(String hfName) {
        return !hfName.endsWith(".bias") && !isNorm(hfName);
    }

    /**
     * The parameter a Hugging Face checkpoint's state-dict key holds, or null for a buffer that is
     * not a parameter; by default the key itself.
     */
    default String parameterName(String checkpointKey) {
        return checkpointKey;
    }

    /** Published sizes of this family for benchmarks with random weights, by name (e.g. "gpt2-small"). */
    Map<String, ModelConfig> referenceSizes();
}

package dev.emo.models.qwen3;

import com.fasterxml.jackson.databind.JsonNode;
import dev.emo.models.ModelConfig;
import dev.emo.models.ModelConfig.LayerVariant;
import dev.emo.models.RopeScaling;
import dev.emo.models.llama.LlamaStyleConfig;
import dev.emo.models.llama.LlamaStyleFamily;

import java.nio.file.Path;
import java.util.Map;

/**
 * Qwen3 (Qwen3ForCausalLM): the LLaMA layer with an explicit head_dim (128 in the released models,
 * not hidden/heads), RMSNorm over each query and key head (q_norm, k_norm) before the rotation, no
 * q/k/v bias unless attention_bias; Qwen's byte-level BPE.
 */
public final class Qwen3Family extends LlamaStyleFamily {
    @Override
    public String modelType() {
        return "qwen3";
    }

    @Override
    public ModelConfig config(JsonNode j, Path file) {
        boolean bias = LlamaStyleConfig.flag(j, "attention_bias", file);
        return LlamaStyleConfig.read(j, file, modelType(), new LayerVariant(bias, bias, false, true), 0);
    }

    @Override
    public String tokenizerConventions() {
        return "QWEN";
    }

    @Override
    public Map<String, ModelConfig> referenceSizes() {
        // Qwen3-0.6B: 16 query / 8 key-value heads of 128 (16·128 = 2048 ≠ hidden 1024), tied head
        return Map.of("qwen3-0.6b", new ModelConfig(Path.of("<qwen3-0.6b>"), modelType(), 151936, 1024, 28, 16, 8, 3072, 40960,
                1e-6, "silu", true, true, 1024, 1e6, 151643, 151645, -1).with(128, RopeScaling.NONE, 0,
                new LayerVariant(false, false, false, true)));
    }
}

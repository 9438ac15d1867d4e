package dev.emo.models.qwen2;

import com.fasterxml.jackson.databind.JsonNode;
import dev.emo.models.ModelConfig;
import dev.emo.models.ModelConfig.LayerVariant;
import dev.emo.models.llama.LlamaStyleConfig;
import dev.emo.models.llama.LlamaStyleFamily;

import java.nio.file.Path;
import java.util.Map;

/**
 * Qwen2 and Qwen2.5 (Qwen2ForCausalLM): the LLaMA layer with a bias on the q, k and v projections
 * (none on o_proj or the MLP), rotary base 1e6, byte-level BPE with a Split regex pre-tokenizer.
 */
public final class Qwen2Family extends LlamaStyleFamily {
    @Override
    public String modelType() {
        return "qwen2";
    }

    @Override
    public ModelConfig config(JsonNode j, Path file) {
        return LlamaStyleConfig.read(j, file, modelType(), new LayerVariant(true, false, false, false), 0);
    }

    /** Qwen2.5's tokenizer adds no BOS (whatever add_bos_token says); eos and pad default to <|endoftext|>. */
    @Override
    public String tokenizerConventions() {
        return "QWEN";
    }

    @Override
    public Map<String, ModelConfig> referenceSizes() {
        // Qwen2.5-0.5B: 14 query / 2 key-value heads of 64, tied head
        return Map.of("qwen2.5-0.5b", new ModelConfig(Path.of("<qwen2.5-0.5b>"), modelType(), 151936, 896, 24, 14, 2, 4864, 32768,
                1e-6, "silu", true, true, 896, 1e6, 151643, 151643, -1).with(64, dev.emo.models.RopeScaling.NONE, 0,
                new LayerVariant(true, false, false, false)));
    }
}

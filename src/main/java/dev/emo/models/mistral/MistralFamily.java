package dev.emo.models.mistral;

import com.fasterxml.jackson.databind.JsonNode;
import dev.emo.models.ModelConfig;
import dev.emo.models.ModelConfig.LayerVariant;
import dev.emo.models.RopeScaling;
import dev.emo.models.llama.LlamaStyleConfig;
import dev.emo.models.llama.LlamaStyleFamily;

import java.nio.file.Path;
import java.util.Map;

/**
 * Mistral (MistralForCausalLM): the LLaMA layer with a sliding attention window — query i sees key j
 * iff j ≤ i and j > i − sliding_window — in training, evaluation and the KV-cache decoder (the
 * window lives in the attention mask, so a cache longer than it is not attended beyond it);
 * optional explicit head_dim; LLaMA's SentencePiece-style tokenizer.
 */
public final class MistralFamily extends LlamaStyleFamily {
    @Override
    public String modelType() {
        return "mistral";
    }

    @Override
    public ModelConfig config(JsonNode j, Path file) {
        int window = LlamaStyleConfig.optionalInt(j, "sliding_window", 0, file);   // null: attend to everything
        if (j.has("sliding_window") && !j.get("sliding_window").isNull() && window < 1) {
            throw dev.emo.UserError.of(file, "sliding_window is " + window, "fix config.json: a window is at least 1 (null: none)");
        }
        return LlamaStyleConfig.read(j, file, modelType(), LayerVariant.PLAIN, window);
    }

    @Override
    public String tokenizerConventions() {
        return "LLAMA";
    }

    @Override
    public Map<String, ModelConfig> referenceSizes() {
        // Mistral-7B v0.1: 32 query / 8 key-value heads, a 4096-token window, untied head
        return Map.of("mistral-7b", new ModelConfig(Path.of("<mistral-7b>"), modelType(), 32000, 4096, 32, 32, 8, 14336, 32768,
                1e-5, "silu", false, true, 4096, 10000, 1, 2, -1).with(128, RopeScaling.NONE, 4096, LayerVariant.PLAIN));
    }
}

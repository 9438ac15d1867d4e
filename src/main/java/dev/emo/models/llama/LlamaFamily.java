package dev.emo.models.llama;

import com.fasterxml.jackson.databind.JsonNode;
import dev.emo.models.ModelConfig;
import dev.emo.models.ModelConfig.LayerVariant;
import dev.emo.models.RopeScaling;

import java.nio.file.Path;
import java.util.Map;

/**
 * LLaMA 1/2/3 (LlamaForCausalLM): RMSNorm, SwiGLU, rotary positions (Llama 3.x's llama3 scaling),
 * grouped-query attention; SentencePiece-style BPE (Llama 1/2) or byte-level BPE (Llama 3).
 */
public final class LlamaFamily extends LlamaStyleFamily {
    @Override
    public String modelType() {
        return "llama";
    }

    /** attention_bias puts a bias on q/k/v and o_proj, mlp_bias on gate/up/down (both false in Meta's models). */
    @Override
    public ModelConfig config(JsonNode j, Path file) {
        boolean attentionBias = LlamaStyleConfig.flag(j, "attention_bias", file);
        return LlamaStyleConfig.read(j, file, modelType(), new LayerVariant(attentionBias, attentionBias,
                LlamaStyleConfig.flag(j, "mlp_bias", file), false), 0);
    }

    @Override
    public String tokenizerConventions() {
        return "LLAMA";
    }

    @Override
    public Map<String, ModelConfig> referenceSizes() {
        // Llama 3.2-1B: 32 query / 8 key-value heads, llama3 rotary scaling of an 8k-trained context
        ModelConfig llama32 = new ModelConfig(Path.of("<llama3.2-1b>"), modelType(), 128256, 2048, 16, 32, 8, 8192, 131072, 1e-5,
                "silu", true, true, 2048, 500000, 128000, 128001, -1)
                .with(64, new RopeScaling("llama3", 32, 1, 4, 8192), 0, LayerVariant.PLAIN);
        return Map.of("llama-tiny", new ModelConfig(Path.of("<llama-tiny>"), modelType(), 32000, 512, 8, 8, 4, 1376, 2048, 1e-5,
                        "silu", true, true, 512, 10000, 1, 2, -1), "llama3.2-1b", llama32,
                // TinyLlama-1.1B: Llama 2's tokenizer and layer, 32 query / 4 key-value heads, untied head
                "tinyllama-1.1b", untied("tinyllama-1.1b", 2048, 22, 32, 4, 5632, 2048),
                // the EMO paper's LLaMA sizes (Llama 2's 4,096 positions; LLaMA 1 has the same shapes with 2,048)
                "llama-7b", untied("llama-7b", 4096, 32, 32, 32, 11008, 4096),
                "llama-13b", untied("llama-13b", 5120, 40, 40, 40, 13824, 4096));
    }

    /** A Llama-2-style size: vocabulary 32,000, rotary θ 10,000, RMSNorm ε 1e-5, untied head. */
    private ModelConfig untied(String name, int d, int layers, int heads, int kvHeads, int ff, int positions) {
        return new ModelConfig(Path.of("<" + name + ">"), modelType(), 32000, d, layers, heads, kvHeads, ff, positions, 1e-5,
                "silu", false, true, d, 10000, 1, 2, -1);
    }
}

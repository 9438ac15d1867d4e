package dev.emo.registry;

import dev.emo.lowbit.BaseDType;
import dev.emo.models.CausalLM;
import dev.emo.models.GraphOptions;
import dev.emo.models.LoraSpec;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The probe's shapes: by hand for the paper's LLaMA-7B, and against fully built graphs for the vocabulary's share. */
class ModelShapesTest {
    @Test
    void llama7bByHand() {
        ModelShapes s = ModelShapes.of(Architectures.config("llama-7b"));
        // per layer q, k, v, o [4096, 4096] and gate, up [11008, 4096], down [4096, 11008]
        long perLayer = 4L * 4096 * 4096 + 3L * 4096 * 11008;
        assertEquals(32 * perLayer, s.projectionElements());
        assertEquals(6_476_005_376L, s.projectionElements());
        // untied: embed_tokens and lm_head [32000, 4096]; two RMSNorm gains per layer and the final one
        assertEquals(2L * 32000 * 4096 + 32L * 2 * 4096 + 4096, s.otherFloats());
        assertEquals(6_738_415_616L, s.parameters());   // LLaMA-7B's published 6.74B
        assertEquals(32000L * 4096, s.headElements());
        assertArrayEquals(new long[]{11008, 4096}, s.projections().get("model.layers.31.mlp.gate_proj.weight"));
        // LoRA r 16 on q_proj and v_proj: A [16, 4096] and B [4096, 16], twice a layer
        assertEquals(32L * 2 * 16 * (4096 + 4096), s.adapterElements(new LoraSpec(16, 32, 0, List.of("q_proj", "v_proj"))));
        assertEquals(0, s.adapterElements(null));
        // bfloat16 2 bytes an element; Q8_0 34 bytes per 32 (every width here a multiple of 32)
        assertEquals(2 * s.projectionElements(), s.projectionBytes(BaseDType.BFLOAT16));
        assertEquals(s.projectionElements() / 32 * 34, s.projectionBytes(BaseDType.Q8_0));
        assertEquals(4 * s.projectionElements(), s.projectionBytes(BaseDType.FLOAT32));
    }

    /** The one-token probe plus the vocabulary's rows equals the real graph's float parameters, tied heads and OPT's project_in/out included. */
    @Test
    void vocabularyShareEqualsTheBuiltGraphs() {
        for (String arch : List.of("llama-tiny", "gpt2-small", "opt-350m")) {
            ModelShapes s = ModelShapes.of(Architectures.config(arch));
            CausalLM full = Models.build(Architectures.config(arch), new GraphOptions(false, null, BaseDType.BFLOAT16));
            long floats = full.params().values().stream().mapToLong(v -> v.getArr().length()).sum();
            assertEquals(floats, s.otherFloats(), arch);
            assertEquals(full.frozenWeights().keySet(), s.projections().keySet(), arch);
            assertEquals(full.lmHead().getArr().length(), s.headElements(), arch);
        }
    }
}

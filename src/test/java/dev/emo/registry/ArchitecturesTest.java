package dev.emo.registry;

import dev.emo.lowbit.BaseDType;
import dev.emo.lowbit.FrozenWeight;
import dev.emo.models.CausalLM;
import dev.emo.models.GraphOptions;
import dev.emo.models.LoraSpec;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArchitecturesTest {
    /** The sizes, as published (a wrong width or head count would shift every memory and FLOP figure). */
    @Test
    void paperSizes() {
        var t = Architectures.config("tinyllama-1.1b");
        assertEquals(List.of(22, 2048, 32, 4, 5632, 32000), List.of(t.numLayers(), t.hiddenSize(), t.numHeads(), t.numKvHeads(), t.intermediateSize(), t.vocabSize()));
        assertTrue(!t.tieWordEmbeddings() && t.ropeTheta() == 10000 && t.normEps() == 1e-5);
        var l13 = Architectures.config("llama-13b");
        assertEquals(List.of(40, 5120, 40, 40, 13824, 32000), List.of(l13.numLayers(), l13.hiddenSize(), l13.numHeads(), l13.numKvHeads(), l13.intermediateSize(), l13.vocabSize()));
        var opt = Architectures.config("opt-1.3b");
        assertEquals(List.of(24, 2048, 32, 8192, 50272, 2048), List.of(opt.numLayers(), opt.hiddenSize(), opt.numHeads(), opt.intermediateSize(), opt.vocabSize(), opt.maxPositions()));
        assertTrue(opt.preLayerNorm() && opt.tieWordEmbeddings());
        var g = Architectures.config("gpt2-large");
        assertEquals(List.of(36, 1280, 20, 50257, 1024), List.of(g.numLayers(), g.hiddenSize(), g.numHeads(), g.vocabSize(), g.maxPositions()));
        assertEquals(1_100_048_384L, ModelShapes.of(t).parameters());   // TinyLlama-1.1B's parameter count
        assertEquals(774_030_080L, ModelShapes.of(g).parameters());      // GPT-2 large's
        assertEquals(1_315_758_080L, ModelShapes.of(opt).parameters());   // OPT-1.3b's
    }

    /** A packed base: every projection generated in its storage type, none of them a float parameter, and the model runs. */
    @Test
    void randomModelWithAPackedBase() {
        for (BaseDType dtype : List.of(BaseDType.BFLOAT16, BaseDType.Q8_0)) {
            LoraSpec lora = new LoraSpec(4, 8, 0, List.of("q_proj", "v_proj"));
            CausalLM model = Architectures.randomModel("llama-tiny", 5, new GraphOptions(false, lora, dtype));
            ModelShapes shapes = ModelShapes.of(model.config());
            assertEquals(shapes.projections().keySet(), model.frozenWeights().keySet());
            for (FrozenWeight w : model.frozenWeights().values()) {
                assertTrue(w.loaded() && w.matrix().dtype() == dtype, w.name());
            }
            // the float parameters are exactly the estimate's: no float32 copy of a projection
            assertEquals(shapes.otherFloats(), model.params().values().stream().mapToLong(v -> v.getArr().length()).sum());
            INDArray down = model.frozenWeights().get("model.layers.7.mlp.down_proj.weight").matrix().toFloat();
            assertEquals(0.02, down.stdNumber().doubleValue(), 0.001, dtype.flag());
            INDArray embed = model.params().get("model.embed_tokens.weight").getArr();
            assertEquals(0.02, embed.stdNumber().doubleValue(), 0.001);
            assertEquals(1.0, model.params().get("model.norm.weight").getArr().minNumber().doubleValue());
            INDArray logits = model.forward(Nd4j.createFromArray(new long[][]{{1, 2, 3}}), Nd4j.ones(org.nd4j.linalg.api.buffer.DataType.INT64, 1, 3));
            assertTrue(Double.isFinite(logits.sumNumber().doubleValue()), "finite logits");
            assertTrue(logits.std(2).getDouble(0) > 0.01, "random weights give varied logits: " + logits.std(2));
        }
    }
}

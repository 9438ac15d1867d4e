package dev.emo.registry;

import dev.emo.UserError;
import dev.emo.lowbit.BaseDType;
import dev.emo.models.LoraSpec;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryEstimateTest {
    static final LoraSpec R16 = new LoraSpec(16, 32, 0, List.of("q_proj", "v_proj"));
    static final MemoryEstimate.Budget MACHINE_24GB = new MemoryEstimate.Budget(24_000_000_000L);

    /** LLaMA-7B, bfloat16 base, LoRA r 16, 1 × 512, checkpointed, EMO: each part from the hand-counted shapes. */
    @Test
    void llama7bPartsByHand() {
        ModelShapes shapes = ModelShapes.of(Architectures.config("llama-7b"));
        var e = MemoryEstimate.of(shapes, new MemoryEstimate.Setting(R16, BaseDType.BFLOAT16, true, 1, 512, true));
        // 6.476e9 projection weights × 2 bytes + (2 × 32000 × 4096 embedding/head + 266,240 norm) floats × 4
        assertEquals(6.476e9 * 2 + 262.41e6 * 4, e.weights(), 0.001e9);                      // 14.00 GB
        assertEquals(12.952e9, e.packedBytes(), 0.001e9);
        assertEquals(8_388_608L * 16, e.trainable());                                         // 0.134 GB: value, gradient, m, v
        // checkpointed: each of 32 layers' input [512, 4096] float, plus one layer recomputed with its gradients:
        // 2 × 4 × (512 × (4·4096 + 11008) + 32 heads × 512²) = 179.3 MB
        long oneLayer = 2L * 4 * (512L * (4 * 4096 + 11008) + 32L * 512 * 512);
        assertEquals(32L * 4 * 512 * 4096 + oneLayer, e.activationsRecomputed());            // 0.448 GB
        assertEquals(32 * oneLayer, e.activationsStored());                                  // 5.74 GB without recomputation
        // four [512, 32000] float buffers (logits, q/gradient, the fed gradient, DEMD's cosines) + the [32000, 4096] cost embedding
        assertEquals(4L * 4 * 512 * 32000 + 4L * 32000 * 4096, e.logits());                   // 0.79 GB
        assertEquals(e.weights() + e.trainable() + e.activationsRecomputed() + e.logits(), e.total());
        assertTrue(e.total() > 15.3e9 && e.total() < 15.5e9, "total " + e.total());
    }

    @Test
    void fullFineTuningCountsGradientsAndMomentsOfEveryParameter() {
        ModelShapes shapes = ModelShapes.of(Architectures.config("llama-7b"));
        var e = MemoryEstimate.of(shapes, new MemoryEstimate.Setting(null, BaseDType.FLOAT32, false, 1, 512, false));
        assertEquals(4 * shapes.parameters(), e.weights());
        assertEquals(12 * shapes.parameters(), e.trainable());
        assertEquals(0, e.packedBytes());
        assertEquals(3L * 4 * 512 * 32000, e.logits());   // MLE: no cost embedding, no cosines
        assertThrows(IllegalArgumentException.class, () -> new MemoryEstimate.Setting(null, BaseDType.BFLOAT16, false, 1, 512, false));
    }

    /**
     * Full fine-tuning of 13B on 24 GB: checkpointing alone (≈ 208 GB), LoRA on bfloat16 (25.4 GB of weights) and LoRA on
     * Q8_0 without checkpointing (29 GB of activations at 8 × 256) do not fit; LoRA on Q8_0 with checkpointing (≈ 19 GB) does.
     */
    @Test
    void refusalNamesTheFlagsThatFit() {
        ModelShapes shapes = ModelShapes.of(Architectures.config("llama-13b"));
        var full = new MemoryEstimate.Setting(null, BaseDType.FLOAT32, false, 8, 256, true);
        String m = assertThrows(UserError.class, () -> MemoryEstimate.require("bench --arch llama-13b", shapes, full, "--batch", MACHINE_24GB)).getMessage();
        assertTrue(m.startsWith("bench --arch llama-13b: full fine-tuning in float32, --batch 8 × 256 tokens needs about "), m);
        assertTrue(m.endsWith("; try --lora_r 16 --base_dtype q8_0 --gradient_checkpointing"), m);
        var fits = new MemoryEstimate.Setting(new LoraSpec(16, 32, 0, List.of("q_proj", "v_proj")), BaseDType.Q8_0, true, 8, 256, true);
        assertTrue(MemoryEstimate.of(shapes, fits).total() < 24e9);
        assertEquals(1, m.lines().count());
    }

    /** Where no flag is enough at this batch, the largest batch that fits, with the fewest flags changed. */
    @Test
    void smallerBatchWhenNoFlagIsEnough() {
        ModelShapes shapes = ModelShapes.of(Architectures.config("tinyllama-1.1b"));
        var s = new MemoryEstimate.Setting(R16, BaseDType.BFLOAT16, false, 64, 1024, false);
        String m = assertThrows(UserError.class, () -> MemoryEstimate.require("x", shapes, s, "--micro_batch", MACHINE_24GB)).getMessage();
        int n = Integer.parseInt(m.replaceAll(".*--micro_batch (\\d+)$", "$1"));
        assertTrue(m.endsWith("; try --micro_batch " + n), m);   // this setting at a smaller batch comes first
        assertTrue(MemoryEstimate.of(shapes, new MemoryEstimate.Setting(R16, BaseDType.BFLOAT16, false, n, 1024, false)).total() <= 24e9);
        assertTrue(MemoryEstimate.of(shapes, new MemoryEstimate.Setting(R16, BaseDType.BFLOAT16, false, n + 1, 1024, false)).total() > 24e9);
    }
}

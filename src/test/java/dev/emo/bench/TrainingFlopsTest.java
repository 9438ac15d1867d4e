package dev.emo.bench;

import dev.emo.registry.Architectures;
import dev.emo.registry.ModelShapes;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TrainingFlopsTest {
    /**
     * 100 weight multiply-adds a token, adapters 10, 2 layers of attention width 8, batch 2 × 4 tokens:
     * weights 2·100·8 = 1,600, attention 4·2·2·4²·8 = 2,048, adapters 2·10·8 = 160 FLOPs forward.
     */
    @Test
    void handComputedCase() {
        // full fine-tuning: forward 3,648 and backward twice it
        assertEquals(3 * 3648, TrainingFlops.of(100, 0, 2, 8, 2, 4, false, false));
        assertEquals(4 * 3648, TrainingFlops.of(100, 0, 2, 8, 2, 4, false, true));
        // LoRA: forward 3,808; backward dX of the base 1,600 + attention 4,096 + adapters 320
        assertEquals(3808 + 6016, TrainingFlops.of(100, 10, 2, 8, 2, 4, true, false));
        assertEquals(3808 + 6016 + 3808, TrainingFlops.of(100, 10, 2, 8, 2, 4, true, true));
    }

    /** LLaMA-7B, full fine-tuning of 1 × 512: the usual 6·N·tokens (N with the head, without the embedding) plus attention. */
    @Test
    void llama7b() {
        ModelShapes s = ModelShapes.of(Architectures.config("llama-7b"));
        double expected = 6.0 * (6_476_005_376L + 131_072_000L) * 512 + 3 * 4.0 * 32 * 512 * 512 * 4096;
        assertEquals(expected, TrainingFlops.perStep(s, null, false, 1, 512), 1);
        assertEquals(20.71e12, expected, 0.01e12);
    }
}

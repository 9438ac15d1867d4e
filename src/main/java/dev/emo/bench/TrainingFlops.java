package dev.emo.bench;

import dev.emo.models.LoraSpec;
import dev.emo.registry.ModelShapes;

/**
 * Floating-point operations of one training step, for the achieved GFLOP/s the train benchmark prints: the
 * model's useful products only (2 per multiply-add), not GQA's key/value copies, rotary or norms.
 *
 * <p>Forward: 2·W·tokens for the weight products (W: the projections' and the head's elements; embeddings are
 * lookups), plus attention's two products Q·Kᵀ and P·V, 2·B·T²·(H·hd) each per layer = 4·L·B·T²·(H·hd). The
 * graph multiplies the whole T × T score matrix and masks it, so the causal half is not taken off. LoRA's
 * adapters add 2·tokens·Σ r·(in + out).
 * <p>Backward: full fine-tuning twice the forward (dX and dW of every product). With LoRA the base is frozen,
 * so its weight products need dX only (once their forward), attention still needs both operands' gradients
 * (twice its forward) and the adapters are trained (twice theirs). Gradient checkpointing adds one more forward.
 */
public final class TrainingFlops {
    private TrainingFlops() {}

    /** One step's FLOPs for a model of these shapes; {@code lora} null: full fine-tuning. */
    public static double perStep(ModelShapes shapes, LoraSpec lora, boolean checkpointing, long batch, long length) {
        var c = shapes.config();
        return of(shapes.matmulWeights(), shapes.adapterElements(lora), c.numLayers(), (long) c.numHeads() * c.headDim(),
                batch, length, lora != null, checkpointing);
    }

    /**
     * @param matmulWeights   multiply-adds per token of the base's weight products
     * @param adapterElements Σ r·(in + out) over the adapted projections (0 without LoRA)
     * @param attentionWidth  heads × head width
     */
    static double of(long matmulWeights, long adapterElements, int layers, long attentionWidth, long batch, long length,
                     boolean lora, boolean checkpointing) {
        double tokens = (double) batch * length;
        double base = 2.0 * matmulWeights * tokens;
        double attention = 4.0 * layers * batch * (double) length * length * attentionWidth;
        double adapters = 2.0 * adapterElements * tokens;
        double forward = base + attention + adapters;
        double backward = lora ? base + 2 * attention + 2 * adapters : 2 * forward;
        return forward + backward + (checkpointing ? forward : 0);
    }
}

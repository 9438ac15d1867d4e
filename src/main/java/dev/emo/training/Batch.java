package dev.emo.training;

import dev.emo.objectives.FusedLmLoss;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One micro-batch as the model and the loss take it, all [B, T] int64.
 *
 * @param labels   -100 where no loss is taken; null: the ids wherever the mask is 1 (run_clm's blocks)
 * @param segments 1, 2, … numbering the examples packed in each row, 0 on padding; null: one example a row
 */
public record Batch(INDArray ids, INDArray mask, INDArray labels, INDArray segments) {
    public static Batch of(INDArray ids, INDArray mask) {
        return new Batch(ids, mask, null, null);
    }

    /** Next-token targets of the flattened rows [B·T]: row (b, t) predicts labels[b][t+1]. */
    public int[] targets() {
        return labels == null ? FineTuner.targets(ids, mask) : FusedLmLoss.shiftedTargets(labels);
    }
}

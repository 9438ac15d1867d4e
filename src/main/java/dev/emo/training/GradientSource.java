package dev.emo.training;

import dev.emo.models.CausalLM;
import dev.emo.objectives.FusedLmLoss;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;

/**
 * Computes one optimizer step's micro-batches: the sum of their mean gradients (by trainable
 * parameter name) and of their losses; and an evaluation's loss sums. Locally on a
 * {@link GraphTrainer}; or spread over a cluster's executors, each computing its share with the
 * same trainer code (distributed package).
 */
public interface GradientSource {
    /** Sums over the micro-batches; {@code lossSum}/{@code mleSum} add each micro-batch's token-mean. */
    record Sum(Map<String, INDArray> grads, double lossSum, double mleSum, long tokens, long guarded) {}

    /** An evaluation's token-weighted sums: MLE and the objective's own loss, and the tokens scored. */
    record EvalSum(double mleSum, double objectiveSum, long tokens) implements java.io.Serializable {
        public EvalSum add(EvalSum o) {
            return new EvalSum(mleSum + o.mleSum, objectiveSum + o.objectiveSum, tokens + o.tokens);
        }
    }

    /**
     * @param microBatches the step's micro-batches, in order
     * @param dropoutSeeds one per micro-batch (LoRA dropout masks)
     */
    Sum sum(List<Batch> microBatches, List<Long> dropoutSeeds, FusedLmLoss loss, INDArray costEmbed);

    /** Gives a step's gradient arrays back once the optimizer has used them. */
    void recycle(Map<String, INDArray> grads);

    /** Forward passes only (no dropout): the sums over the batches at the current weights. */
    EvalSum evaluate(List<Batch> batches, FusedLmLoss loss, INDArray costEmbed);

    /** This JVM's trainer. */
    static GradientSource local(GraphTrainer trainer) {
        return new GradientSource() {
            @Override
            public Sum sum(List<Batch> microBatches, List<Long> dropoutSeeds, FusedLmLoss loss, INDArray costEmbed) {
                Map<String, INDArray> sum = null;
                double lossSum = 0, mleSum = 0;
                long tokens = 0, guarded = 0;
                for (int a = 0; a < microBatches.size(); a++) {
                    trainer.seedDropout(dropoutSeeds.get(a));
                    GraphTrainer.Step s = trainer.step(microBatches.get(a), loss, costEmbed);
                    lossSum += s.loss().loss();
                    mleSum += s.loss().meanMle();
                    tokens += s.loss().tokens();
                    guarded += s.loss().guarded();
                    if (sum == null) {
                        sum = s.grads();
                    } else {
                        for (var g : s.grads().entrySet()) sum.get(g.getKey()).addi(g.getValue());
                        trainer.recycle(s.grads());
                    }
                }
                return new Sum(sum, lossSum, mleSum, tokens, guarded);
            }

            @Override
            public void recycle(Map<String, INDArray> grads) {
                trainer.recycle(grads);
            }

            @Override
            public EvalSum evaluate(List<Batch> batches, FusedLmLoss loss, INDArray costEmbed) {
                CausalLM model = trainer.model();
                EvalSum sum = new EvalSum(0, 0, 0);
                for (Batch batch : batches) {
                    INDArray logits = model.forward(batch.ids(), batch.mask(), batch.segments());   // [B, T, V]
                    FusedLmLoss.Result r = loss.compute(logits.reshape(-1, logits.size(2)), batch.targets(), costEmbed);
                    // the largest array of an evaluation: freed now rather than at some later GC
                    if (logits.data().closeable()) logits.data().close();
                    sum = sum.add(new EvalSum(r.meanMle() * r.tokens(), r.loss() * r.tokens(), r.tokens()));
                }
                model.releaseBuffers();
                return sum;
            }
        };
    }
}

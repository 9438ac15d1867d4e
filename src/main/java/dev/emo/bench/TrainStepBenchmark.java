package dev.emo.bench;

import dev.emo.lowbit.BaseDType;
import dev.emo.models.CausalLM;
import dev.emo.models.GraphOptions;
import dev.emo.models.LoraSpec;
import dev.emo.registry.Architectures;
import dev.emo.registry.ModelFamilies;
import dev.emo.util.Rss;
import dev.emo.objectives.CostEmbedding;
import dev.emo.objectives.FusedLmLoss;
import dev.emo.objectives.Objective;
import dev.emo.training.AdamW;
import dev.emo.training.GraphTrainer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.Random;

/**
 * Full training steps (forward, fused loss, backward, AdamW) on a reference-sized model with random
 * weights, per objective: seconds per step, tokens/s and RSS after every step. Prints; asserts nothing.
 */
public final class TrainStepBenchmark {
    private TrainStepBenchmark() {}

    /** kind: the objective's name (mle, emo, …); objective: with its parameters. */
    public record Result(String kind, String objective, double[] seconds, long[] rssMb, double medianSeconds, double tokensPerSecond) {}

    /**
     * @param batch      sequences per optimizer step
     * @param microBatch sequences per forward/backward pass; batch/microBatch passes are accumulated
     */
    public static Result run(String arch, Objective objective, int batch, int microBatch, int length, int steps, long seed) {
        return run(arch, objective, batch, microBatch, length, steps, seed, 0);
    }

    /** @param loraR LoRA rank on the family's default targets (α = 2r), or 0 for full fine-tuning */
    public static Result run(String arch, Objective objective, int batch, int microBatch, int length, int steps, long seed, int loraR) {
        return run(arch, objective, batch, microBatch, length, steps, seed, loraR, BaseDType.FLOAT32, false);
    }

    /** The adapters {@link #run} trains at rank {@code loraR} (α = 2r, the family's default targets), or null for 0. */
    public static LoraSpec lora(String arch, int loraR) {
        return loraR == 0 ? null : new LoraSpec(loraR, 2.0 * loraR, 0, ModelFamilies.of(Architectures.config(arch)).defaultLoraTargets());
    }

    /**
     * @param base          how the frozen base's projections are kept (packed types need {@code loraR} > 0)
     * @param checkpointing recompute each layer in the backward pass instead of keeping its activations
     */
    public static Result run(String arch, Objective objective, int batch, int microBatch, int length, int steps, long seed, int loraR,
                             BaseDType base, boolean checkpointing) {
        if (batch % microBatch != 0) throw new IllegalArgumentException("batch " + batch + " is not a multiple of micro-batch " + microBatch);
        long t = System.nanoTime();
        CausalLM model = Architectures.randomModel(arch, seed, new GraphOptions(false, lora(arch, loraR), base));
        System.out.printf("  %-6s model with random weights (%s base) in %.1f s, RSS %d MB%n", objective.kind(), base.flag(),
                (System.nanoTime() - t) / 1e9, Rss.currentMb());
        GraphTrainer trainer = new GraphTrainer(model, checkpointing);
        // the normalised head copy only where the objective reads it (FusedLmLoss ignores it otherwise): [V, d'] floats
        INDArray cost = objective.needsDemd() ? CostEmbedding.normalizedCopy(model.lmHead().getArr()) : null;
        FusedLmLoss loss = new FusedLmLoss(objective);
        AdamW opt = new AdamW(0.9, 0.999, 1e-8, 0.0, name -> true);   // no weight decay here
        Random rng = new Random(seed);
        int v = model.config().vocabSize();
        double[] s = new double[steps];
        long[] rss = new long[steps];
        int passes = batch / microBatch;
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            Rss.Peak peak = new Rss.Peak();
            java.util.Map<String, INDArray> sum = null;
            double lossSum = 0;
            for (int p = 0; p < passes; p++) {
                long[] ids = new long[microBatch * length];
                for (int j = 0; j < ids.length; j++) ids[j] = rng.nextInt(v);
                INDArray input = Nd4j.createFromArray(ids).reshape(microBatch, length);
                INDArray mask = Nd4j.ones(org.nd4j.linalg.api.buffer.DataType.INT64, microBatch, length);
                GraphTrainer.Step step = trainer.step(input, mask, FusedLmLoss.shiftedTargets(input), loss, cost);
                lossSum += step.loss().loss() / passes;
                if (sum == null) {
                    sum = step.grads();
                } else {
                    for (var g : step.grads().entrySet()) sum.get(g.getKey()).addi(g.getValue());
                    trainer.recycle(step.grads());
                }
            }
            for (INDArray g : sum.values()) g.divi(passes); // equal-sized micro-batches: mean of means
            long t1 = System.nanoTime();
            opt.step(model.trainableWeights(), sum, 1e-4);
            if (dev.emo.execution.OpProfile.enabled()) dev.emo.execution.OpProfile.add("(AdamW)", System.nanoTime() - t1);
            trainer.recycle(sum);
            s[i] = (System.nanoTime() - t0) / 1e9;
            rss[i] = peak.stop();
            String profile = dev.emo.execution.OpProfile.report();
            if (!profile.isEmpty()) System.out.print(profile);
            System.out.printf("  %-6s step %2d: %.2f s, loss %.4f, RSS %d MB (graph arrays: peak %d MB live, %d MB pooled; heap %d MB)%n",
                    objective.kind(), i, s[i], lossSum, rss[i], trainer.executor().takePeakLiveBytes() >> 20,
                    trainer.executor().pooledBytes() >> 20, (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20);
        }
        trainer.executor().close();   // free this model's buffers now, so the next objective's RSS is its own
        double[] sorted = Arrays.copyOfRange(s, Math.min(1, steps - 1), steps); // the first step builds the gradient graph
        Arrays.sort(sorted);
        double median = sorted[sorted.length / 2];
        return new Result(objective.kind(), objective.toString(), s, rss, median, batch * (double) length / median);
    }
}

package dev.emo.distributed;

import dev.emo.models.CausalLM;
import dev.emo.models.GraphOptions;
import dev.emo.models.LoraSpec;
import dev.emo.objectives.CostEmbedding;
import dev.emo.objectives.FusedLmLoss;
import dev.emo.objectives.Objective;
import dev.emo.registry.Models;
import dev.emo.training.Batch;
import dev.emo.training.GradientSource;
import dev.emo.training.GraphTrainer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What an executor computes in data-parallel training: its share of a step's micro-batches, with
 * the single machine's code ({@link GradientSource#local} on a {@link GraphTrainer}). The model graph,
 * its trainer and the frozen cost embedding (the base head, as on the driver) are built once per
 * executor JVM and kept across steps; the trainable weights are set from the driver's each step.
 */
public final class ShardGradients {
    private static final Map<Spec, GraphTrainer> TRAINERS = new HashMap<>();
    private static final Map<Spec, INDArray> COSTS = new HashMap<>();

    private ShardGradients() {}

    /**
     * The model and objective an executor trains: all it needs to build the graph the driver has.
     * {@code randomArch}: benchmarks only, a reference architecture with random weights instead of
     * {@code modelDir} (the broadcast replaces every trainable weight before the first share anyway).
     * {@code gradientCheckpointing}: the executors' trainers re-run each layer in the backward pass.
     */
    /** @param baseDtype how the executor keeps the frozen base's projections (the driver's --base_dtype, resolved) */
    public record Spec(String modelDir, String randomArch, LoraSpec lora, Objective objective, boolean gradientCheckpointing,
                       dev.emo.lowbit.BaseDType baseDtype) implements Serializable {
        public Spec {
            if (baseDtype == null) baseDtype = dev.emo.lowbit.BaseDType.FLOAT32;
        }

        public Spec(String modelDir, String randomArch, LoraSpec lora, Objective objective) {
            this(modelDir, randomArch, lora, objective, false, null);
        }

        public Spec(String modelDir, LoraSpec lora, Objective objective, boolean gradientCheckpointing, dev.emo.lowbit.BaseDType baseDtype) {
            this(modelDir, null, lora, objective, gradientCheckpointing, baseDtype);
        }
    }

    /** One micro-batch: ids, mask, labels and segments [B, T] (the last two null as in {@link Batch}), and its LoRA dropout seed. */
    public record Micro(long[][] ids, long[][] mask, long[][] labels, long[][] segments, long seed) implements Serializable {}

    /**
     * A share's sums: gradients (float32, trainable-parameter order), loss and MLE sums, tokens,
     * guarded tokens, micro-batches; and the slowest share's times to fetch the broadcast weights
     * and to compute (the step's critical path).
     */
    public record Sum(byte[][] gradients, double lossSum, double mleSum, long tokens, long guarded, int microBatches,
                      long fetchNanos, long computeNanos) implements Serializable {
        public Sum add(Sum o) {
            if (microBatches == 0) return o;
            if (o.microBatches == 0) return this;
            // in place: Spark's aggregate lets combOp modify and return its first argument (each task gets its own copy of the zero)
            for (int i = 0; i < gradients.length; i++) FloatBytes.addInto(gradients[i], o.gradients[i]);
            return new Sum(gradients, lossSum + o.lossSum, mleSum + o.mleSum, tokens + o.tokens, guarded + o.guarded, microBatches + o.microBatches,
                    Math.max(fetchNanos, o.fetchNanos), Math.max(computeNanos, o.computeNanos));
        }

        public static Sum zero() {
            return new Sum(new byte[0][], 0, 0, 0, 0, 0, 0, 0);
        }
    }

    /** The executor's trainer for a spec, built on first use in this JVM. */
    static synchronized GraphTrainer trainer(Spec spec) {
        return TRAINERS.computeIfAbsent(spec, s -> {
            GraphOptions options = new GraphOptions(false, s.lora(), s.baseDtype());
            CausalLM model = s.randomArch() != null ? dev.emo.registry.Architectures.randomModel(s.randomArch(), 1, options)
                    : Models.load(Path.of(s.modelDir()), options).model();
            COSTS.put(s, CostEmbedding.normalizedCopy(model.lmHead().getArr()));   // frozen: the base head, before any update
            return new GraphTrainer(model, s.gradientCheckpointing());
        });
    }

    /** The share's sums, with the trainable weights first set to {@code weights} (fetched from the driver's broadcast). */
    public static synchronized Sum compute(Spec spec, List<Micro> share, java.util.function.Supplier<byte[][]> weights) {
        long f0 = System.nanoTime();
        byte[][] w = weights.get();
        long t0 = System.nanoTime();
        GraphTrainer trainer = withWeights(spec, w);
        List<Long> seeds = share.stream().map(Micro::seed).toList();
        GradientSource local = GradientSource.local(trainer);
        GradientSource.Sum s = local.sum(batches(share), seeds, new FusedLmLoss(spec.objective()), COSTS.get(spec));
        byte[][] g = new byte[s.grads().size()][];
        int i = 0;
        for (INDArray grad : s.grads().values()) g[i++] = FloatBytes.of(grad);
        local.recycle(s.grads());
        return new Sum(g, s.lossSum(), s.mleSum(), s.tokens(), s.guarded(), share.size(), t0 - f0, System.nanoTime() - t0);
    }

    /** An evaluation share's sums (forward passes only), at {@code weights}. */
    public static synchronized GradientSource.EvalSum evaluate(Spec spec, List<Micro> share, byte[][] weights) {
        GraphTrainer trainer = withWeights(spec, weights);
        return GradientSource.local(trainer).evaluate(batches(share), new FusedLmLoss(spec.objective()), COSTS.get(spec));
    }

    private static GraphTrainer withWeights(Spec spec, byte[][] weights) {
        GraphTrainer trainer = trainer(spec);
        List<INDArray> params = new ArrayList<>(trainer.model().trainableWeights().values());
        if (weights != null) for (int i = 0; i < params.size(); i++) FloatBytes.into(weights[i], params.get(i));
        return trainer;
    }

    private static List<Batch> batches(List<Micro> share) {
        List<Batch> batches = new ArrayList<>();
        for (Micro m : share) batches.add(new Batch(array(m.ids()), array(m.mask()), array(m.labels()), array(m.segments())));
        return batches;
    }

    private static INDArray array(long[][] rows) {
        return rows == null ? null : Nd4j.createFromArray(rows);
    }
}

package dev.emo.distributed;

import dev.emo.models.CausalLM;
import dev.emo.objectives.CostEmbedding;
import dev.emo.objectives.FusedLmLoss;
import dev.emo.objectives.Objective;
import dev.emo.registry.Models;
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
 * What an executor computes in data-parallel training: the gradient of its share of a batch with
 * the same objective code as a single machine ({@link GraphTrainer} + {@link FusedLmLoss}). The model
 * graph, its trainer and the frozen cost embedding are built once per executor JVM and kept across
 * steps (a static cache keyed by the model folder); weights are set from the driver's each step.
 */
public final class ShardGradients {
    private static final Map<String, GraphTrainer> TRAINERS = new HashMap<>();
    private static final Map<String, INDArray> COSTS = new HashMap<>();

    private ShardGradients() {}

    /** A shard's result: the sum of its micro-batches' mean gradients (float32, in trainable-parameter order), and their count. */
    public record Sum(float[][] gradients, double lossSum, int microBatches) implements Serializable {
        public Sum add(Sum o) {
            if (microBatches == 0) return o;
            if (o.microBatches == 0) return this;
            float[][] g = new float[gradients.length][];
            for (int i = 0; i < g.length; i++) {
                g[i] = gradients[i].clone();
                for (int j = 0; j < g[i].length; j++) g[i][j] += o.gradients[i][j];
            }
            return new Sum(g, lossSum + o.lossSum, microBatches + o.microBatches);
        }

        public static Sum zero() {
            return new Sum(new float[0][], 0, 0);
        }
    }

    /** The executor's trainer for a model folder, built on first use in this JVM. */
    static synchronized GraphTrainer trainer(String modelDir) {
        return TRAINERS.computeIfAbsent(modelDir, dir -> {
            CausalLM model = Models.load(Path.of(dir)).model();
            COSTS.put(dir, CostEmbedding.normalizedCopy(model.lmHead().getArr()));
            return new GraphTrainer(model);
        });
    }

    /**
     * Gradients of micro-batches ids/mask [B, T] each (targets: the shifted ids, padding ignored),
     * with the trainable weights set to {@code weights} first (null: keep the executor's).
     */
    public static synchronized Sum compute(String modelDir, String objective, List<long[][][]> microBatches, float[][] weights) {
        GraphTrainer trainer = trainer(modelDir);
        List<INDArray> params = new ArrayList<>(trainer.model().trainableWeights().values());
        if (weights != null) for (int i = 0; i < params.size(); i++) params.get(i).assign(Nd4j.create(weights[i], params.get(i).shape(), 'c'));
        FusedLmLoss loss = new FusedLmLoss(Objective.of(objective));
        Sum total = Sum.zero();
        for (long[][][] mb : microBatches) {
            INDArray ids = Nd4j.createFromArray(mb[0]), mask = Nd4j.createFromArray(mb[1]);
            GraphTrainer.Step s = trainer.step(ids, mask, dev.emo.training.FineTuner.targets(ids, mask), loss, COSTS.get(modelDir));
            float[][] g = new float[params.size()][];
            int i = 0;
            for (INDArray grad : s.grads().values()) g[i++] = grad.dup('c').data().asFloat();
            trainer.recycle(s.grads());
            total = total.add(new Sum(g, s.loss().loss(), 1));
        }
        return total;
    }
}

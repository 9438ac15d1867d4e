package dev.emo.distributed;

import dev.emo.models.CausalLM;
import dev.emo.objectives.FusedLmLoss;
import dev.emo.training.GradientSource;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Synchronous data parallelism on Spark: a step's micro-batches are split into one contiguous share
 * per executor; each executor computes its share's gradient sum with the single machine's code
 * ({@link ShardGradients}); {@code treeAggregate} sums them on the driver, where the one optimizer
 * step is taken (the same loop, AdamW and checkpoints as a single machine). The driver's current
 * trainable weights go out with each step as a broadcast, so every replica computes at the same
 * weights. With accumulation steps multiplied by the executor count, a step trains on exactly the
 * examples a single-machine run with that accumulation trains on.
 */
public final class SparkGradients implements GradientSource {
    private final JavaSparkContext sc;
    private final int executors;
    private final ShardGradients.Spec spec;
    private final CausalLM model;          // the driver's: its trainable weights are the replicas'

    public SparkGradients(JavaSparkContext sc, int executors, ShardGradients.Spec spec, CausalLM model) {
        this.sc = sc;
        this.executors = executors;
        this.spec = spec;
        this.model = model;
    }

    @Override
    public Sum sum(List<INDArray[]> microBatches, List<Long> dropoutSeeds, FusedLmLoss loss, INDArray costEmbed) {
        Map<String, INDArray> trainable = model.trainableWeights();
        float[][] weights = new float[trainable.size()][];
        int w = 0;
        for (INDArray a : trainable.values()) weights[w++] = a.dup('c').data().asFloat();
        Broadcast<float[][]> current = sc.broadcast(weights);
        List<List<ShardGradients.Micro>> shares = new ArrayList<>();
        int n = microBatches.size(), parts = Math.min(executors, n);
        for (int p = 0; p < parts; p++) {
            List<ShardGradients.Micro> share = new ArrayList<>();
            for (int a = p * n / parts; a < (p + 1) * n / parts; a++) {
                INDArray[] b = microBatches.get(a);
                share.add(new ShardGradients.Micro(toLongs(b[0]), toLongs(b[1]), dropoutSeeds.get(a)));
            }
            shares.add(share);
        }
        ShardGradients.Spec s = spec;
        ShardGradients.Sum total = sc.parallelize(shares, parts)
                .map(share -> ShardGradients.compute(s, share, current.value()))
                .treeAggregate(ShardGradients.Sum.zero(), ShardGradients.Sum::add, ShardGradients.Sum::add);
        current.destroy();
        Map<String, INDArray> grads = new LinkedHashMap<>();
        int i = 0;
        for (var e : trainable.entrySet()) grads.put(e.getKey(), Nd4j.create(total.gradients()[i++], e.getValue().shape(), 'c'));
        return new Sum(grads, total.lossSum(), total.mleSum(), total.tokens(), total.guarded());
    }

    private static long[][] toLongs(INDArray a) {
        long[][] out = new long[(int) a.size(0)][];
        for (int r = 0; r < out.length; r++) out[r] = a.getRow(r).toLongVector();
        return out;
    }

    @Override
    public void recycle(Map<String, INDArray> grads) {
        // host arrays built from the executors' sums: the GC frees them
    }
}

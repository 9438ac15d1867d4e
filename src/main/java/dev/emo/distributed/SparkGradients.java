package dev.emo.distributed;

import dev.emo.models.CausalLM;
import dev.emo.objectives.FusedLmLoss;
import dev.emo.training.Batch;
import dev.emo.training.GradientSource;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
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
 * weights, and any executor can compute any share: a lost executor's share is simply re-run
 * elsewhere, with nothing to restore. With accumulation steps multiplied by the executor count,
 * a step trains on exactly the examples a single-machine run with that accumulation trains on.
 * Evaluations are split the same way (forward passes only).
 */
public final class SparkGradients implements GradientSource {
    private static final Logger LOG = LogManager.getLogger(SparkGradients.class);

    private final JavaSparkContext sc;
    private final int executors;
    private final ShardGradients.Spec spec;
    private final CausalLM model;          // the driver's: its trainable weights are the replicas'
    private final List<StepTiming> timings = new ArrayList<>();

    /**
     * One step's time: wall (broadcast, scheduling, the shares, the tree sum); of it, the driver's
     * writing of the broadcast, the slowest executor's fetch of it, and the slowest executor's
     * compute; all but the compute is communication and scheduling. Bytes: the weights each executor
     * receives and the gradient sum it sends (float32, the same size).
     */
    public record StepTiming(double wallSeconds, double broadcastSeconds, double fetchSeconds, double computeSeconds,
                             long bytesPerExecutorEachWay) {
        public double communicationSeconds() {
            return Math.max(0, wallSeconds - computeSeconds);
        }
    }

    public SparkGradients(JavaSparkContext sc, int executors, ShardGradients.Spec spec, CausalLM model) {
        this.sc = sc;
        this.executors = executors;
        this.spec = spec;
        this.model = model;
    }

    @Override
    public Sum sum(List<Batch> microBatches, List<Long> dropoutSeeds, FusedLmLoss loss, INDArray costEmbed) {
        long t0 = System.nanoTime();
        Map<String, INDArray> trainable = model.trainableWeights();
        Broadcast<byte[][]> current = sc.broadcast(weights(trainable));
        long written = System.nanoTime();
        List<List<ShardGradients.Micro>> shares = shares(microBatches, dropoutSeeds);
        ShardGradients.Spec s = spec;
        ShardGradients.Sum total = sc.parallelize(shares, shares.size())
                .map(share -> ShardGradients.compute(s, share, current::value))
                .treeAggregate(ShardGradients.Sum.zero(), ShardGradients.Sum::add, ShardGradients.Sum::add);
        current.destroy();
        Map<String, INDArray> grads = new LinkedHashMap<>();
        int i = 0;
        long bytes = 0;
        for (var e : trainable.entrySet()) {
            grads.put(e.getKey(), FloatBytes.array(total.gradients()[i++], e.getValue().shape()));
            bytes += 4 * e.getValue().length();
        }
        StepTiming t = new StepTiming((System.nanoTime() - t0) / 1e9, (written - t0) / 1e9, total.fetchNanos() / 1e9,
                total.computeNanos() / 1e9, bytes);
        timings.add(t);
        LOG.debug("spark step: {} s wall, {} s compute (slowest executor), {} MB each way per executor",
                t.wallSeconds(), t.computeSeconds(), bytes >> 20);
        return new Sum(grads, total.lossSum(), total.mleSum(), total.tokens(), total.guarded());
    }

    @Override
    public EvalSum evaluate(List<Batch> batches, FusedLmLoss loss, INDArray costEmbed) {
        if (batches.isEmpty()) return new EvalSum(0, 0, 0);
        Broadcast<byte[][]> current = sc.broadcast(weights(model.trainableWeights()));
        List<List<ShardGradients.Micro>> shares = shares(batches, java.util.Collections.nCopies(batches.size(), 0L));
        ShardGradients.Spec s = spec;
        EvalSum total = sc.parallelize(shares, shares.size())
                .map(share -> ShardGradients.evaluate(s, share, current.value()))
                .treeAggregate(new EvalSum(0, 0, 0), EvalSum::add, EvalSum::add);
        current.destroy();
        return total;
    }

    /** Each step's timing so far, in order. */
    public List<StepTiming> timings() {
        return List.copyOf(timings);
    }

    private static byte[][] weights(Map<String, INDArray> trainable) {
        byte[][] weights = new byte[trainable.size()][];
        int w = 0;
        for (INDArray a : trainable.values()) weights[w++] = FloatBytes.of(a);
        return weights;
    }

    /** One contiguous share of the batches per executor (fewer when there are fewer batches). */
    private List<List<ShardGradients.Micro>> shares(List<Batch> batches, List<Long> seeds) {
        List<List<ShardGradients.Micro>> shares = new ArrayList<>();
        int n = batches.size(), parts = Math.min(executors, n);
        for (int p = 0; p < parts; p++) {
            List<ShardGradients.Micro> share = new ArrayList<>();
            for (int a = p * n / parts; a < (p + 1) * n / parts; a++) {
                Batch b = batches.get(a);
                share.add(new ShardGradients.Micro(toLongs(b.ids()), toLongs(b.mask()), toLongs(b.labels()), toLongs(b.segments()), seeds.get(a)));
            }
            shares.add(share);
        }
        return shares;
    }

    private static long[][] toLongs(INDArray a) {
        if (a == null) return null;
        long[][] out = new long[(int) a.size(0)][];
        for (int r = 0; r < out.length; r++) out[r] = a.getRow(r).toLongVector();
        return out;
    }

    @Override
    public void recycle(Map<String, INDArray> grads) {
        // host arrays built from the executors' sums: the GC frees them
    }
}

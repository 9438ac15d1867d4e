package dev.emo.bench;

import dev.emo.distributed.LocalSparkCluster;
import dev.emo.distributed.ShardGradients;
import dev.emo.distributed.SparkGradients;
import dev.emo.distributed.SparkTraining;
import dev.emo.models.CausalLM;
import dev.emo.objectives.CostEmbedding;
import dev.emo.objectives.FusedLmLoss;
import dev.emo.objectives.Objective;
import dev.emo.registry.Architectures;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Data-parallel steps on a loopback Spark cluster (a Master and one Worker per executor, each its
 * own JVM, one core each) for a reference-sized model with random weights: per step, the wall time,
 * the slowest executor's compute and the rest (broadcast of the weights, scheduling, the tree sum
 * of the gradients), and the bytes each executor receives and sends. Gradients only: the driver's
 * AdamW step is a single machine's. Prints; asserts nothing.
 */
public final class SparkBenchmark {
    private SparkBenchmark() {}

    public record Result(String arch, int executors, int microBatch, int length, List<SparkGradients.StepTiming> steps) {}

    public static Result run(String arch, int executors, int microBatch, int length, int steps, Path workDir, String workerMemory) {
        CausalLM model = Architectures.randomModel(arch, 1);
        INDArray cost = CostEmbedding.normalizedCopy(model.lmHead().getArr());
        Objective mle = Objective.of("mle");
        try (LocalSparkCluster cluster = LocalSparkCluster.start(workDir, executors, 1, workerMemory);
             SparkTraining spark = SparkTraining.connect(cluster.masterUrl(), executors, new ShardGradients.Spec(null, arch, null, mle), model)) {
            Random rng = new Random(1);
            int v = model.config().vocabSize();
            for (int s = 0; s < steps; s++) {
                List<dev.emo.training.Batch> micro = new ArrayList<>();
                for (int e = 0; e < executors; e++) {
                    long[] ids = new long[microBatch * length];
                    for (int j = 0; j < ids.length; j++) ids[j] = rng.nextInt(v);
                    micro.add(dev.emo.training.Batch.of(Nd4j.createFromArray(ids).reshape(microBatch, length), Nd4j.ones(DataType.INT64, microBatch, length)));
                }
                spark.gradients().sum(micro, Collections.nCopies(executors, 0L), new FusedLmLoss(mle), cost);
                SparkGradients.StepTiming t = spark.gradients().timings().get(s);
                System.out.printf("  step %d: %.2f s wall = %.2f s compute (slowest executor) + %.2f s communication and scheduling "
                                + "(of which: driver writes the weights' broadcast %.2f s, slowest executor fetches it %.2f s)%n",
                        s, t.wallSeconds(), t.computeSeconds(), t.communicationSeconds(), t.broadcastSeconds(), t.fetchSeconds());
            }
            return new Result(arch, executors, microBatch, length, spark.gradients().timings());
        }
    }
}

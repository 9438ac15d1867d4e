package dev.emo.distributed;

import dev.emo.Fixtures;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #13, the first step: a real Spark standalone cluster on loopback (a Master and two Workers,
 * separate JVMs started from this application's jars) computes a batch's gradient on two executors,
 * each its share with the single machine's objective code, summed by treeAggregate; the sum equals
 * the single-machine sum of the same micro-batches' gradients.
 */
@Tag("slow")   // left out of ./run.sh test --fast
class SparkGradientTest {
    @Test
    void twoExecutorsSumTheSingleMachineGradient(@TempDir Path work) {
        String model = Fixtures.model("stories260k").toAbsolutePath().normalize().toString();
        Random r = new Random(3);
        List<long[][][]> micro = new ArrayList<>();
        for (int m = 0; m < 4; m++) {
            long[][] ids = new long[2][16], mask = new long[2][16];
            for (int b = 0; b < 2; b++) for (int t = 0; t < 16; t++) {
                ids[b][t] = 3 + r.nextInt(500);
                mask[b][t] = 1;
            }
            micro.add(new long[][][]{ids, mask});
        }
        ShardGradients.Sum local = ShardGradients.compute(model, "emo", micro, null);

        try (LocalSparkCluster cluster = LocalSparkCluster.start(work, 2, 1, "1500m")) {
            String opts = String.join(" ", LocalSparkCluster.javaModuleOptions())
                    + " -Xss4m -Dorg.bytedeco.javacpp.maxphysicalbytes=0 -Dorg.bytedeco.javacpp.maxbytes=0";
            SparkConf conf = new SparkConf().setAppName("emo-gradient-test").setMaster(cluster.masterUrl())
                    .setJars(new String[]{cluster.appJar().toString()}).set("spark.executor.memory", "1g")
                    .set("spark.executor.extraJavaOptions", opts).set("spark.driver.host", "127.0.0.1")
                    .set("spark.ui.enabled", "false");
            try (JavaSparkContext sc = new JavaSparkContext(conf)) {
                List<List<long[][][]>> shares = List.of(new ArrayList<>(micro.subList(0, 2)), new ArrayList<>(micro.subList(2, 4)));
                ShardGradients.Sum spread = sc.parallelize(new ArrayList<>(shares), 2)
                        .map(share -> ShardGradients.compute(model, "emo", share, null))
                        .treeAggregate(ShardGradients.Sum.zero(), ShardGradients.Sum::add, ShardGradients.Sum::add);
                List<Long> pids = sc.parallelize(List.of(0, 1), 2).map(x -> ProcessHandle.current().pid()).collect();
                assertEquals(2, new HashSet<>(pids).size(), "two executor JVMs: " + pids);
                assertTrue(!pids.contains(ProcessHandle.current().pid()), "neither is the driver");

                assertEquals(4, spread.microBatches());
                assertEquals(local.lossSum(), spread.lossSum(), 1e-6 * Math.abs(local.lossSum()));
                double diff = 0, norm = 0;
                for (int i = 0; i < local.gradients().length; i++) {
                    for (int j = 0; j < local.gradients()[i].length; j++) {
                        double d = local.gradients()[i][j] - spread.gradients()[i][j];
                        diff += d * d;
                        norm += local.gradients()[i][j] * (double) local.gradients()[i][j];
                    }
                }
                double rel = Math.sqrt(diff / norm);
                System.out.printf("[spark] 4 micro-batches on 2 executors vs one JVM: relative gradient difference %.2e%n", rel);
                assertTrue(rel <= 1e-5, "relative difference " + rel + " (float32 sums in another order: ≈ 1e-6 expected)");
            }
        }
    }
}

package dev.emo.distributed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.Fixtures;
import dev.emo.jobs.FinetuneJob;
import dev.emo.jobs.FinetuneSettings;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #13 on a real Spark standalone cluster on loopback (a Master and two Workers, separate JVMs
 * started from this application's jars): the executors are separate JVMs, and a data-parallel
 * fine-tuning run on two executors repeats, loss for loss, the single-machine run whose gradient
 * accumulation is multiplied by two (the same examples each step), and writes the same run folder.
 */
@Tag("slow")   // left out of ./run.sh test --fast
class SparkGradientTest {
    private static FinetuneSettings.Builder run(Path train, Path out) {
        return FinetuneSettings.builder(Fixtures.model("stories260k"), train, out).validationFile(train).blockSize(16)
                .maxEvalSamples(4).perDeviceTrainBatchSize(2).maxSteps(6).saveSteps(3).evalSteps(3).learningRate(2e-3).seed(5);
    }

    private static JsonNode losses(Path checkpoint) throws Exception {
        return new ObjectMapper().readTree(checkpoint.resolve("trainer_state.json").toFile()).get("step_losses");
    }

    @Test
    void twoExecutorsRepeatTheSingleMachineRunWithDoubleAccumulation(@TempDir Path work) throws Exception {
        StringBuilder text = new StringBuilder();
        java.util.Random r = new java.util.Random(1);
        String[] words = {"the", "cat", "sat", "on", "a", "mat", "and", "looked", "at", "sun", "dog", "ran", "home"};
        for (int line = 0; line < 200; line++) {
            for (int w = 0; w < 8; w++) text.append(words[r.nextInt(words.length)]).append(w == 7 ? ".\n" : " ");
        }
        Path train = Files.writeString(work.resolve("train.txt"), text);
        Path single = work.resolve("single"), spread = work.resolve("spark");
        FinetuneJob.prepare(run(train, single).gradientAccumulationSteps(2).build()).run(FinetuneJob.Listener.NONE);

        try (LocalSparkCluster cluster = LocalSparkCluster.start(work.resolve("cluster"), 2, 1, "1500m")) {
            SparkConf conf = new SparkConf().setAppName("pids").setMaster(cluster.masterUrl()).setJars(new String[]{cluster.appJar().toString()})
                    .set("spark.executor.extraJavaOptions", String.join(" ", LocalSparkCluster.javaModuleOptions()))
                    .set("spark.driver.host", "127.0.0.1").set("spark.ui.enabled", "false").set("spark.executor.memory", "1g");
            try (JavaSparkContext sc = new JavaSparkContext(conf)) {
                List<Long> pids = sc.parallelize(List.of(0, 1), 2).map(x -> ProcessHandle.current().pid()).collect();
                assertEquals(2, new HashSet<>(pids).size(), "two executor JVMs: " + pids);
                assertTrue(!pids.contains(ProcessHandle.current().pid()), "neither is the driver");
            }
            FinetuneJob.Result result = FinetuneJob.prepare(run(train, spread).spark(new FinetuneSettings.Spark(cluster.masterUrl(), 2)).build())
                    .run(FinetuneJob.Listener.NONE);
            assertTrue(Files.isDirectory(result.bestModel()), "the driver wrote best/");
        }
        JsonNode a = losses(single.resolve("checkpoint-6")), b = losses(spread.resolve("checkpoint-6"));
        assertEquals(6, a.size());
        double worst = 0;
        for (int i = 0; i < a.size(); i++) worst = Math.max(worst, Math.abs(a.get(i).asDouble() - b.get(i).asDouble()));
        System.out.printf("[spark] 6 steps on 2 executors vs one JVM with accumulation 2: max |Δloss| %.2e%n", worst);
        // float32: each executor JVM runs BLAS with its own thread count, so products round differently (measured ≈ 1e-5 by step 6)
        for (int i = 0; i < a.size(); i++) assertEquals(a.get(i).asDouble(), b.get(i).asDouble(), 1e-4, "loss of step " + (i + 1));
        JsonNode settings = new ObjectMapper().readTree(spread.resolve("run.json").toFile()).path("settings").path("training_args");
        assertEquals(2, settings.path("gradientAccumulationSteps").asInt(), "the run records the global accumulation");
    }
}

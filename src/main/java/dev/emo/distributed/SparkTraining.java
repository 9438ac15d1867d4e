package dev.emo.distributed;

import dev.emo.EmoHome;
import dev.emo.UserError;
import dev.emo.models.CausalLM;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The driver's side of a data-parallel run: a SparkContext on the given master whose executors get
 * this application's classes (an application jar of the class-path folders, kept under
 * $EMO_HOME/spark-app), ND4J's memory settings and Spark's Java 17 options; and the
 * {@link SparkGradients} source the training loop takes its gradients from.
 */
public final class SparkTraining implements AutoCloseable {
    private final JavaSparkContext sc;
    private final SparkGradients gradients;

    private SparkTraining(JavaSparkContext sc, SparkGradients gradients) {
        this.sc = sc;
        this.gradients = gradients;
    }

    public static SparkTraining connect(String master, int executors, ShardGradients.Spec spec, CausalLM model) {
        String executorOptions = String.join(" ", LocalSparkCluster.javaModuleOptions())
                + " -Xss4m -Dorg.bytedeco.javacpp.maxphysicalbytes=0 -Dorg.bytedeco.javacpp.maxbytes=0";
        SparkConf conf = new SparkConf().setAppName("emo-dl4j finetune").setMaster(master)
                .set("spark.executor.extraJavaOptions", executorOptions)
                .set("spark.executor.instances", Integer.toString(executors))
                .set("spark.ui.enabled", "false");
        if (!conf.contains("spark.jars")) {
            try {
                conf.setJars(new String[]{LocalSparkCluster.applicationJar(Files.createDirectories(EmoHome.dir().resolve("spark-app"))).toString()});
            } catch (java.io.IOException e) {
                throw UserError.of(EmoHome.dir().resolve("spark-app"), "cannot be written (" + e.getMessage() + ")", "set EMO_HOME to a writable folder");
            }
        }
        if (master.startsWith("spark://127.0.0.1") || master.startsWith("spark://localhost")) conf.set("spark.driver.host", "127.0.0.1");
        JavaSparkContext sc;
        try {
            sc = new JavaSparkContext(conf);
        } catch (RuntimeException e) {
            throw new UserError("--spark_master " + master + ": cannot start a Spark application there (" + e.getMessage() + "); check the URL");
        }
        return new SparkTraining(sc, new SparkGradients(sc, executors, spec, model));
    }

    public SparkGradients gradients() {
        return gradients;
    }

    @Override
    public void close() {
        sc.close();
    }
}

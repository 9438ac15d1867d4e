package dev.emo.distributed;

import dev.emo.EmoHome;
import dev.emo.UserError;
import dev.emo.kernels.Simd;
import dev.emo.models.CausalLM;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/**
 * The driver's side of a data-parallel run: a SparkContext on the given master whose executors get
 * this application's classes (an application jar of the class-path folders, kept under
 * $EMO_HOME/spark-app, unless spark-submit already set {@code spark.jars}), ND4J's memory settings
 * and Spark's Java 17 options; and the {@link SparkGradients} source the training loop takes its
 * gradients and evaluations from.
 */
public final class SparkTraining implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(SparkTraining.class);
    /** How long a standalone master may take to answer a connection. */
    private static final int CONNECT_TIMEOUT_MS = 5_000;
    /** How long to wait for the requested executors to register before training starts. */
    static final long EXECUTOR_WAIT_MS = Long.getLong("emo.spark.executorWaitMs", 60_000);

    private final JavaSparkContext sc;
    private final SparkGradients gradients;

    private SparkTraining(JavaSparkContext sc, SparkGradients gradients) {
        this.sc = sc;
        this.gradients = gradients;
    }

    /**
     * The master spark-submit passed to this JVM (its {@code spark.master} system property), or
     * null: with it, finetune trains on Spark without --spark_master.
     */
    public static String submittedMaster() {
        String m = System.getProperty("spark.master");
        return m == null || m.isBlank() ? null : m;
    }

    /**
     * Checks, writing nothing, that a standalone master answers at the URL
     * (spark://HOST:PORT[,HOST:PORT...]); other masters (local[N], yarn, k8s://...) are Spark's to check.
     */
    public static void checkReachable(String master) {
        if (!master.startsWith("spark://")) return;
        List<String> tried = new ArrayList<>();
        for (String hostPort : master.substring("spark://".length()).split(",")) {
            int colon = hostPort.lastIndexOf(':');
            String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
            int port;
            try {
                port = colon < 0 ? 7077 : Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new UserError("--spark_master " + master + ": '" + hostPort.substring(colon + 1) + "' is not a port; pass spark://HOST:PORT");
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
                if (speaksHttp(s)) {
                    throw new UserError("--spark_master " + master + ": " + hostPort + " is a web server (HTTP), not a Spark master's RPC port; "
                            + "pass the spark:// URL the master prints (port 7077 by default; 8080 is its web page)");
                }
                return;
            } catch (IOException | IllegalArgumentException e) {
                tried.add(hostPort + " (" + e.getMessage() + ")");
            }
        }
        throw new UserError("--spark_master " + master + ": no Spark master answers at " + String.join(", ", tried)
                + "; start one (./run.sh spark-cluster start prints its URL) or check the host and port");
    }

    /**
     * Whether the peer answers an HTTP request: Spark's client would otherwise retry registering with
     * it for a minute and end in a stack trace. A Spark master reads the request as a frame too large
     * to accept and closes the connection (one warning in its log), so it never answers "HTTP/".
     */
    private static boolean speaksHttp(Socket s) {
        try {
            s.setSoTimeout(2000);
            s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            byte[] head = s.getInputStream().readNBytes(5);
            return new String(head, java.nio.charset.StandardCharsets.US_ASCII).equals("HTTP/");
        } catch (IOException e) {
            return false;    // silence or a closed connection: not a web server
        }
    }

    /** A context on {@code master} (FinetuneJob.prepare has already checked that it answers: {@link #checkReachable}). */
    public static SparkTraining connect(String master, int executors, ShardGradients.Spec spec, CausalLM model) {
        String executorOptions = String.join(" ", LocalSparkCluster.javaModuleOptions())
                + " " + Simd.JVM_OPTION + " -Xss4m -Dorg.bytedeco.javacpp.maxphysicalbytes=0 -Dorg.bytedeco.javacpp.maxbytes=0";
        SparkConf conf = new SparkConf().setAppName("emo-dl4j finetune").setMaster(master)
                .set("spark.executor.instances", Integer.toString(executors))
                .set("spark.ui.enabled", "false");
        long weightBytes = 4 * model.trainableWeights().values().stream().mapToLong(a -> a.length()).sum();
        if (!conf.contains("spark.executor.memory")) {
            // an executor's heap holds the broadcast weights (as values and as blocks), its gradient sum and that sum's
            // serialized task result, which grows by doubling (graph arrays are off-heap): 5x the weights ran out for GPT-2 small
            conf.set("spark.executor.memory", Math.max(1024, 8 * (weightBytes >> 20) + 1024) + "m");
        }
        // the tree sum's last level brings whole gradients to the driver: more than Spark's default 1 GB cap for a model of 130M+ parameters
        if (!conf.contains("spark.driver.maxResultSize")) conf.set("spark.driver.maxResultSize", "0");
        // float weights barely compress, and LZ4 would run on both ends of every step's broadcast (turned off with the in-place
        // sums: 20.0 -> 16.5 s a GPT-2-small step on the loopback cluster, the two not measured apart)
        if (!conf.contains("spark.broadcast.compress")) conf.set("spark.broadcast.compress", "false");
        String given = conf.get("spark.executor.extraJavaOptions", "");   // spark-submit's --conf: kept, ours added
        conf.set("spark.executor.extraJavaOptions", (given + " " + executorOptions).trim());
        if (!conf.contains("spark.jars")) {
            try {
                conf.setJars(new String[]{LocalSparkCluster.applicationJar(Files.createDirectories(EmoHome.dir().resolve("spark-app"))).toString()});
            } catch (IOException e) {
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
        try {
            awaitExecutors(sc, master, executors);
        } catch (RuntimeException e) {
            sc.close();
            throw e;
        }
        return new SparkTraining(sc, new SparkGradients(sc, executors, spec, model));
    }

    /**
     * Waits until the executors asked for have registered: a cluster without free Workers would
     * otherwise leave the first step waiting for ever. Fewer than asked (but some) only slows the
     * run: every share still runs, several on one executor.
     */
    private static void awaitExecutors(JavaSparkContext sc, String master, int executors) {
        if (master.startsWith("local")) return;
        long deadline = System.currentTimeMillis() + EXECUTOR_WAIT_MS;
        int registered = registered(sc);
        while (registered < executors && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            registered = registered(sc);
        }
        if (registered == 0) {
            throw new UserError("--spark_master " + master + ": no executor registered within " + EXECUTOR_WAIT_MS / 1000
                    + " s; the cluster has no free Worker (cores and memory) for this application");
        }
        if (registered < executors) {
            LOG.warn("{} of {} executors registered within {} s; training goes on, with several shares per executor", registered, executors,
                    EXECUTOR_WAIT_MS / 1000);
        }
    }

    /** Executors registered with the driver (the driver's own block manager is in the list too). */
    private static int registered(JavaSparkContext sc) {
        return Math.max(0, sc.sc().getExecutorMemoryStatus().size() - 1);
    }

    public SparkGradients gradients() {
        return gradients;
    }

    @Override
    public void close() {
        List<SparkGradients.StepTiming> t = gradients.timings();
        if (!t.isEmpty()) {
            double wall = t.stream().mapToDouble(SparkGradients.StepTiming::wallSeconds).sum() / t.size();
            double compute = t.stream().mapToDouble(SparkGradients.StepTiming::computeSeconds).sum() / t.size();
            LOG.info(String.format("Spark: %d steps, %.2f s per step: %.2f s compute (slowest executor), %.2f s communication and scheduling; "
                    + "%.1f MB to and from each executor per step", t.size(), wall, compute, wall - compute, t.get(0).bytesPerExecutorEachWay() / 1e6));
        }
        sc.close();
    }
}

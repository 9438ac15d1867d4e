package dev.emo.distributed;

import dev.emo.UserError;
import org.apache.spark.launcher.JavaModuleOptions;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on loopback — a Master and N Workers, each its own JVM — started from
 * this application's own class path, with no Spark download. What Spark's scripts would provide is
 * made here in {@code workDir}: a SPARK_HOME whose {@code jars/} links every class-path jar (Workers
 * build their executors' class path from it), {@code SPARK_SCALA_VERSION} (without a Spark build
 * tree the launcher cannot tell), and an application jar of the class-path folders for
 * {@code spark.jars} (executors load the job's classes, lambdas included, from it). Every JVM gets
 * Spark's own {@code --add-opens} list for Java 17.
 */
public final class LocalSparkCluster implements AutoCloseable {
    private final List<Process> processes = new ArrayList<>();
    private final String masterUrl;
    private final Path appJar;

    private LocalSparkCluster(String masterUrl, Path appJar) {
        this.masterUrl = masterUrl;
        this.appJar = appJar;
    }

    public String masterUrl() {
        return masterUrl;
    }

    /** The jar executors load this application's classes from (pass it as spark.jars). */
    public Path appJar() {
        return appJar;
    }

    /** Spark's --add-opens flags for Java 17 (what spark-submit adds), for JVMs started without it. */
    public static List<String> javaModuleOptions() {
        return Arrays.asList(JavaModuleOptions.defaultModuleOptions().trim().split("\\s+"));
    }

    /**
     * Starts the Master and {@code workers} Workers (each {@code cores} cores, {@code memory} such as
     * "1g") and waits until every Worker has registered.
     */
    public static LocalSparkCluster start(Path workDir, int workers, int cores, String memory) {
        if (workers < 1 || cores < 1) throw new UserError("--workers and cores must each be at least 1");
        try {
            Path home = Files.createDirectories(workDir.resolve("spark-home"));
            Path jars = Files.createDirectories(home.resolve("jars"));
            String classPath = System.getProperty("java.class.path");
            for (String entry : classPath.split(java.io.File.pathSeparator)) {
                Path p = Path.of(entry);
                if (Files.isRegularFile(p) && entry.endsWith(".jar")) {
                    Path link = jars.resolve(p.getFileName());
                    if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) Files.createSymbolicLink(link, p.toAbsolutePath());
                }
            }
            Path app = applicationJar(workDir);
            Files.deleteIfExists(jars.resolve(app.getFileName()));
            Files.createSymbolicLink(jars.resolve(app.getFileName()), app.toAbsolutePath());
            int port = freePort(), ui = freePort();
            String url = "spark://127.0.0.1:" + port;
            LocalSparkCluster cluster = new LocalSparkCluster(url, app);
            Path logs = Files.createDirectories(workDir.resolve("logs"));
            cluster.launch(home, "org.apache.spark.deploy.master.Master", logs.resolve("master.log"), classPath,
                    "--host", "127.0.0.1", "--port", Integer.toString(port), "--webui-port", Integer.toString(ui));
            cluster.awaitPort(port, logs.resolve("master.log"));
            for (int w = 0; w < workers; w++) {
                cluster.launch(home, "org.apache.spark.deploy.worker.Worker", logs.resolve("worker-" + w + ".log"), classPath,
                        "--host", "127.0.0.1", "--cores", Integer.toString(cores), "--memory", memory,
                        "--webui-port", Integer.toString(freePort()), "--work-dir", workDir.resolve("work").toString(), url);
            }
            cluster.awaitWorkers(logs.resolve("master.log"), workers);
            return cluster;
        } catch (IOException e) {
            throw UserError.of(workDir, "cannot start a Spark cluster here (" + e.getMessage() + ")", "choose a writable folder");
        }
    }

    private void launch(Path sparkHome, String mainClass, Path log, String classPath, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                dev.emo.EmoHome.crashOption()));
        cmd.addAll(javaModuleOptions());
        cmd.addAll(List.of("-cp", classPath, mainClass));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SPARK_HOME", sparkHome.toAbsolutePath().toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        processes.add(pb.start());
    }

    private void awaitPort(int port, Path log) throws IOException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException notYet) {
                sleep();
            }
            if (!processes.get(0).isAlive()) break;
        }
        close();
        throw new UserError("the Spark master did not start; see " + log);
    }

    private void awaitWorkers(Path masterLog, int workers) throws IOException {
        long deadline = System.nanoTime() + 90_000_000_000L;
        while (System.nanoTime() < deadline) {
            long registered = Files.readAllLines(masterLog).stream().filter(l -> l.contains("Registering worker")).count();
            if (registered >= workers) return;
            sleep();
        }
        close();
        throw new UserError("only some Spark workers registered within 90 s; see " + masterLog.getParent());
    }

    private static void sleep() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** emo-dl4j-app.jar in {@code dir}: the class-path folders (this application's compiled classes and resources) as one jar. */
    public static Path applicationJar(Path dir) throws IOException {
        List<Path> folders = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (Files.isDirectory(Path.of(entry))) folders.add(Path.of(entry));
        }
        Path app = dir.resolve("emo-dl4j-app.jar");
        writeJar(folders, app);
        return app;
    }

    /** One jar of the class-path folders (this application's compiled classes and resources). */
    private static void writeJar(List<Path> folders, Path jar) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (Path folder : folders) {
                try (Stream<Path> files = Files.walk(folder)) {
                    for (Path f : files.filter(Files::isRegularFile).toList()) {
                        String name = folder.relativize(f).toString().replace('\\', '/');
                        if (!seen.add(name)) continue;
                        out.putNextEntry(new JarEntry(name));
                        Files.copy(f, (OutputStream) out);
                        out.closeEntry();
                    }
                }
            }
        }
    }

    /** The process ids of the Master and Workers (what `spark-cluster stop` ends). */
    public List<Long> pids() {
        return processes.stream().map(Process::pid).toList();
    }

    /** The Workers' process ids, in start order (the Master is not among them). */
    public List<Long> workerPids() {
        return pids().subList(1, processes.size());
    }

    /** When each process started (with its id, what tells a later `stop` that the id was not reused). */
    public List<String> startTimes() {
        return processes.stream().map(p -> p.info().startInstant().map(Object::toString).orElse("")).toList();
    }

    /** Ends the processes of a cluster started by an earlier command: each id whose start time still matches. */
    public static int stop(List<Long> pids, List<String> startTimes) {
        int stopped = 0;
        for (int i = 0; i < pids.size(); i++) {
            var handle = ProcessHandle.of(pids.get(i));
            String started = i < startTimes.size() ? startTimes.get(i) : "";
            if (handle.isPresent() && handle.get().info().startInstant().map(Object::toString).orElse("").equals(started)) {
                handle.get().destroy();
                stopped++;
            }
        }
        return stopped;
    }

    @Override
    public void close() {
        for (Process p : processes) p.destroy();
        for (Process p : processes) {
            try {
                if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

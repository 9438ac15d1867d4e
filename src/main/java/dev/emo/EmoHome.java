package dev.emo;

import java.nio.file.Path;

/**
 * Where the application keeps what it can rebuild (tokenized corpora, downloaded models, ONNX
 * Runtime's native libraries) and its crash reports: {@code $EMO_HOME}, else {@code ~/.cache/emo-dl4j}
 * (run.sh uses the same default). Never a run's output.
 */
public final class EmoHome {
    public static final String ENV = "EMO_HOME";

    private EmoHome() {}

    public static Path dir() {
        String env = System.getenv(ENV);
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "emo-dl4j");
    }

    /** Where a crashed JVM's hs_err file goes ({@code -XX:ErrorFile}), rather than the working directory. */
    public static Path crashDir() {
        return dir().resolve("crash");
    }

    /**
     * The JVM option that sends a crash report to {@link #crashDir()}, for the JVMs this application
     * starts; the folder is created now because the JVM does not create it when it crashes.
     */
    public static String crashOption() {
        try {
            java.nio.file.Files.createDirectories(crashDir());
        } catch (java.io.IOException e) {
            // the JVM then writes the report into its working directory, as without the option
        }
        return "-XX:ErrorFile=" + crashDir().toAbsolutePath().resolve("hs_err_pid%p.log");
    }

    public static Path tokenizedCache() {
        return dir().resolve("cache").resolve("tokenized");
    }
}

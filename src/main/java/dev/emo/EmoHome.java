package dev.emo;

import java.nio.file.Path;

/**
 * Where the application keeps what it can rebuild (tokenized corpora, downloaded models):
 * {@code $EMO_HOME}, else {@code ~/.cache/emo-dl4j}. Never a run's output.
 */
public final class EmoHome {
    public static final String ENV = "EMO_HOME";

    private EmoHome() {}

    public static Path dir() {
        String env = System.getenv(ENV);
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "emo-dl4j");
    }

    public static Path tokenizedCache() {
        return dir().resolve("cache").resolve("tokenized");
    }
}

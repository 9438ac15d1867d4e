package dev.emo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The one setting that says where fixtures and corpora live (the {@code shared/} folder beside the
 * repository). Looked up as: environment variable {@code EMO_SHARED}, then system property
 * {@code emo.shared}, then {@code ../shared} relative to the working directory.
 */
public final class SharedData {
    public static final String ENV = "EMO_SHARED";
    public static final String PROPERTY = "emo.shared";

    private SharedData() {}

    public static Path root() {
        String env = System.getenv(ENV);
        if (env != null && !env.isBlank()) return Path.of(env);
        String prop = System.getProperty(PROPERTY);
        if (prop != null && !prop.isBlank()) return Path.of(prop);
        return Path.of("..", "shared");
    }

    public static boolean present() {
        return Files.isDirectory(root());
    }

    /** A sentence for errors and skipped tests: where we looked and how to point elsewhere. */
    public static String missingMessage(String what) {
        return what + " not found under " + root().toAbsolutePath().normalize()
                + " (set " + ENV + " to the folder holding models/ and data/)";
    }

    public static Path models() {
        return root().resolve("models");
    }

    public static Path data() {
        return root().resolve("data");
    }

    /** Every model folder under {@code models/}, sorted by name; empty if the folder is absent. */
    public static List<Path> modelDirs() {
        Path dir = models();
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).sorted().toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

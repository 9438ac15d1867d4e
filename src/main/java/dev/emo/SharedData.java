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

    /** The model families after LLaMA-1/2 (Llama 3, Qwen, Mistral), laid out as {@code models/}. */
    public static Path families() {
        return root().resolve("families");
    }

    /**
     * Every model folder under {@code models/} and then {@code families/}, each sorted by name; a
     * new folder in either adds the data-driven tests. Empty where both are absent.
     */
    public static List<Path> modelDirs() {
        return Stream.concat(foldersIn(models()).stream(), foldersIn(families()).stream()).toList();
    }

    /** A model folder by name, looked up in {@code models/} then {@code families/} (the first path if neither has it). */
    public static Path modelDir(String name) {
        Path inFamilies = families().resolve(name);
        return Files.isDirectory(models().resolve(name)) || !Files.isDirectory(inFamilies) ? models().resolve(name) : inFamilies;
    }

    private static List<Path> foldersIn(Path dir) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).sorted().toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

package dev.emo.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.emo.UserError;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/**
 * The output folder of a run: run.json (settings, inputs with hashes, versions, host),
 * metrics.csv (one row per logged step), checkpoint-N/ and best/.
 */
public final class RunFolder {
    public static final List<String> METRICS = List.of("step", "epoch", "lr", "train_loss", "train_mle", "eval_loss",
            "eval_mle", "eval_ppl", "tokens_per_s", "rss_mb");

    private final Path dir;

    private RunFolder(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /** Opens a fresh run folder; refuses one that holds another run unless overwrite is set. */
    public static RunFolder create(Path dir, boolean overwrite, boolean resuming) {
        if (Files.exists(dir.resolve("run.json")) && !overwrite && !resuming) {
            throw UserError.of(dir, "already holds a run (run.json)",
                    "pass --overwrite_output_dir to replace it, --resume_from_checkpoint latest to continue it, or another --output_dir");
        }
        try {
            if (overwrite && !resuming && Files.isDirectory(dir)) deleteTree(dir);
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw UserError.of(dir, "cannot be created (" + e.getMessage() + ")", "choose a writable --output_dir");
        }
        return new RunFolder(dir);
    }

    public void writeRunJson(Map<String, Object> content) throws IOException {
        Path tmp = dir.resolve("run.json.tmp");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), content);
        Files.move(tmp, dir.resolve("run.json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Appends a metrics row; writes the header first when the file is new. */
    public void appendMetrics(Map<String, Object> row) throws IOException {
        Path file = dir.resolve("metrics.csv");
        boolean fresh = !Files.exists(file);
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
             CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT)) {
            if (fresh) p.printRecord(METRICS);
            p.printRecord(METRICS.stream().map(k -> row.getOrDefault(k, "")).toList());
        }
    }

    /** Drops metrics rows after {@code step} (a resumed run rewrites them). */
    public void truncateMetricsAfter(long step) throws IOException {
        Path file = dir.resolve("metrics.csv");
        if (!Files.exists(file)) return;
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<String> keep = new java.util.ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (i == 0 || Long.parseLong(lines.get(i).split(",", 2)[0]) <= step) keep.add(lines.get(i));
        }
        Files.write(file, keep, StandardCharsets.UTF_8);
    }

    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (var s = Files.walk(p)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(x);
        }
    }

    /** Replaces {@code target} with the folder {@code staged} as atomically as the file system allows. */
    public static void publish(Path staged, Path target) throws IOException {
        Path old = target.resolveSibling(target.getFileName() + ".old");
        deleteTree(old);
        if (Files.exists(target)) Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
    }
}

package dev.emo.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.emo.UserError;
import dev.emo.util.OutputLock;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The output folder of a run: run.json (settings, inputs with hashes, versions, host),
 * metrics.csv (one row per logged step), checkpoint-N/, best/ and run.lock.
 *
 * <p>Two steps, so nothing is written before every setting is known to be good: {@link #check}
 * only reads (is it a folder, does it hold a run, does it hold an input, is a run writing to it);
 * {@link #acquire} then creates the folder, takes an exclusive lock on run.lock for as long as the
 * run lives (a second run into the same folder fails naming the holder), and only then removes an
 * old run that is being overwritten.
 */
public final class RunFolder implements AutoCloseable {
    public static final List<String> METRICS = List.of("step", "epoch", "lr", "train_loss", "train_mle", "eval_loss",
            "eval_mle", "eval_ppl", "tokens_per_s", "rss_mb");
    public static final String LOCK = "run.lock";

    private final Path dir;
    private final OutputLock lock;   // null for a folder opened without a lock (tests of the loop alone)

    private RunFolder(Path dir, OutputLock lock) {
        this.dir = dir;
        this.lock = lock;
    }

    public Path dir() {
        return dir;
    }

    /**
     * Checks, writing nothing, that a run may go into {@code dir}: a folder or nothing; no other run
     * unless overwriting or resuming; no input of this run inside a folder about to be overwritten;
     * no run holding its lock.
     */
    public static void check(Path dir, boolean overwrite, boolean resuming, Collection<Path> inputs) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw UserError.of(dir, "is a file, not a folder", "pass a folder (new or empty) as --output_dir");
        }
        String holder = holder(dir);
        if (holder != null) {
            throw UserError.of(dir, "another run is writing to this folder (" + holder + ")",
                    "wait for it to finish, or choose another --output_dir");
        }
        boolean holdsRun = Files.exists(dir.resolve("run.json"));
        if (holdsRun && !overwrite && !resuming) {
            throw UserError.of(dir, "already holds a run (run.json)",
                    "pass --overwrite_output_dir to replace it, --resume_from_checkpoint latest to continue it, or another --output_dir");
        }
        if (overwrite && !resuming && Files.isDirectory(dir)) {
            Path real = realPath(dir);
            for (Path input : inputs) {
                if (input != null && Files.exists(input) && realPath(input).startsWith(real)) {
                    throw UserError.of(dir, "--overwrite_output_dir would delete this run's own input " + input,
                            "copy the input out of the folder first, or choose another --output_dir");
                }
            }
        }
    }

    /**
     * Creates the folder, locks it for this run (released by {@link #close}), and with
     * {@code overwrite} (not resuming) removes the old run's files. Call {@link #check} first.
     */
    public static RunFolder acquire(Path dir, boolean overwrite, boolean resuming) {
        OutputLock lock = null;
        try {
            Files.createDirectories(dir);
            try {
                lock = OutputLock.acquire(dir.resolve(LOCK));
            } catch (OutputLock.Busy busy) {
                throw UserError.of(dir, "another run is writing to this folder (" + busy.getMessage() + ")",
                        "wait for it to finish, or choose another --output_dir");
            }
            // the lock is ours: a run that started between check() and here has written run.json by now
            if (Files.exists(dir.resolve("run.json")) && !overwrite && !resuming) {
                throw UserError.of(dir, "already holds a run (run.json)", "pass --overwrite_output_dir, or another --output_dir");
            }
            if (overwrite && !resuming) {
                try (var s = Files.list(dir)) {
                    for (Path p : s.filter(p -> !p.getFileName().toString().equals(LOCK)).toList()) deleteTree(p);
                }
            }
            return new RunFolder(dir, lock);
        } catch (IOException | RuntimeException e) {
            if (lock != null) lock.close();
            if (e instanceof RuntimeException r) throw r;
            throw UserError.of(dir, "cannot be created or locked (" + e.getMessage() + ")", "choose a writable --output_dir");
        }
    }

    /** A folder for the training loop alone, without lock or checks (unit tests of the loop). */
    public static RunFolder unlocked(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw UserError.of(dir, "cannot be created (" + e.getMessage() + ")", "choose a writable folder");
        }
        return new RunFolder(dir, null);
    }

    /** Who holds the folder's lock now ("pid N on HOST since T"), or null when nobody does. Writes nothing. */
    static String holder(Path dir) {
        return OutputLock.holder(dir.resolve(LOCK));
    }

    private static Path realPath(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    @Override
    public void close() {
        if (lock != null) lock.close();
    }

    public void writeRunJson(Object content) {
        write("run.json", () -> {
            Path tmp = dir.resolve("run.json.tmp");
            try {
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), content);
                Files.move(tmp, dir.resolve("run.json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        });
    }

    /** Appends a metrics row; writes the header first when the file is new. */
    public void appendMetrics(Map<String, Object> row) {
        Path file = dir.resolve("metrics.csv");
        write("metrics.csv", () -> {
            boolean fresh = !Files.exists(file);
            try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                 CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT)) {
                if (fresh) p.printRecord(METRICS);
                p.printRecord(METRICS.stream().map(k -> row.getOrDefault(k, "")).toList());
            }
        });
    }

    /** Drops metrics rows after {@code step} (a resumed run rewrites them); blank lines go too. */
    public void truncateMetricsAfter(long step) {
        Path file = dir.resolve("metrics.csv");
        if (!Files.exists(file)) return;
        write("metrics.csv", () -> {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            List<String> keep = new java.util.ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (i == 0) {
                    keep.add(line);
                    continue;
                }
                if (line.isBlank()) continue;
                long rowStep;
                try {
                    rowStep = Long.parseLong(line.split(",", 2)[0].strip());
                } catch (NumberFormatException e) {
                    throw UserError.of(file, "line " + (i + 1) + " has no step number ('" + abbreviate(line) + "')",
                            "delete that line, then resume again");
                }
                if (rowStep <= step) keep.add(line);
            }
            Path tmp = dir.resolve("metrics.csv.tmp");
            Files.write(tmp, keep, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        });
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }

    /** Writing into the folder; an I/O failure (a full disk) becomes one line. */
    public interface Writing {
        void run() throws IOException;
    }

    private void write(String what, Writing w) {
        try {
            w.run();
        } catch (IOException e) {
            throw UserError.of(dir.resolve(what), "cannot be written (" + e.getMessage() + ")",
                    "free space on the disk of --output_dir, then continue with --resume_from_checkpoint latest");
        }
    }

    /**
     * Writes a folder {@code name} in full under {@code name.tmp}, then puts it in place of the old
     * one. Any failure (a full disk) removes the partial {@code .tmp} and becomes one line; the
     * folder it was to replace is left as it was.
     */
    public Path stage(String name, java.util.function.Consumer<Path> contents) {
        Path staged = dir.resolve(name + ".tmp"), target = dir.resolve(name);
        try {
            deleteTree(staged);
            Files.createDirectories(staged);
            contents.accept(staged);
            publish(staged, target);
            return target;
        } catch (IOException | RuntimeException e) {
            try {
                deleteTree(staged);
            } catch (IOException ignored) {
                // reported below with the original failure
            }
            throw UserError.of(target, "cannot be written (" + rootMessage(e) + ")",
                    "free space on the disk of --output_dir, then continue with --resume_from_checkpoint latest");
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return m.lines().findFirst().orElse(m);
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

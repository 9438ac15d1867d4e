package dev.emo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #11's rows about run folders: every bad command gets one line `error: FILE: PROBLEM; FIX`,
 * exit 2, and leaves the disk exactly as it was; a second run into a folder in use fails while the
 * first completes untouched; resume checks the checkpoint against the run before restoring it.
 */
@org.junit.jupiter.api.Tag("slow")   // left out of ./run.sh test --fast
class RunFolderSafetyTest {
    @TempDir
    static Path shared;
    @TempDir
    Path tmp;

    static Path data;
    static Path finished;      // a finished 4-step run: checkpoint-2 (best) and checkpoint-4 (last)

    static List<String> args(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("finetune", "--model", Fixtures.model("stories260k").toString(),
                "--train_file", data.toString(), "--validation_file", data.toString(), "--max_eval_samples", "4",
                "--block_size", "16", "--per_device_train_batch_size", "2", "--max_steps", "4", "--save_steps", "1",
                "--eval_steps", "2", "--learning_rate", "1e-3", "--seed", "3", "--output_dir", out.toString()));
        for (int i = 0; i < extra.length; i++) {          // a flag given again replaces the default above
            boolean valued = i + 1 < extra.length && !extra[i + 1].startsWith("--");
            int at = a.indexOf(extra[i]);
            if (at >= 0 && valued) a.set(at + 1, extra[i + 1]);
            else if (at < 0) {
                a.add(extra[i]);
                if (valued) a.add(extra[i + 1]);
            }
            if (valued) i++;
        }
        return a;
    }

    @BeforeAll
    static void finishedRun() throws IOException {
        StringBuilder text = new StringBuilder();
        String[] words = {"the", "cat", "sat", "on", "a", "mat", "and", "looked", "at", "sun", "dog", "ran", "home"};
        java.util.Random r = new java.util.Random(1);
        for (int line = 0; line < 200; line++) {
            for (int w = 0; w < 8; w++) text.append(words[r.nextInt(words.length)]).append(w == 7 ? ".\n" : " ");
        }
        data = Files.writeString(shared.resolve("train.txt"), text);
        finished = shared.resolve("finished");
        CliRun run = CliRun.of(args(finished).toArray(String[]::new));
        assertEquals(0, run.code(), run.err());
    }

    /** Runs the command; asserts exit 2, one error line naming what is expected, and the disk under {@code watched} unchanged. */
    private String refused(Path watched, List<String> command, String... expected) throws IOException {
        Map<String, String> before = DiskSnapshot.of(watched);
        long crashes = DiskSnapshot.crashLogs();
        CliRun r = CliRun.of(command.toArray(String[]::new));
        String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
        assertEquals(2, r.code(), r.err());
        assertTrue(last.startsWith("error: ") && last.contains(": ") && last.contains("; "), "one line error: FILE: PROBLEM; FIX — " + last);
        for (String e : expected) assertTrue(last.contains(e), "'" + e + "' in: " + last);
        assertEquals(before, DiskSnapshot.of(watched), "the disk as it was");
        assertEquals(crashes, DiskSnapshot.crashLogs(), "no hs_err file");
        return last;
    }

    private Path copyOfFinished(String name) throws IOException {
        Path copy = tmp.resolve(name);
        try (var s = Files.walk(finished)) {
            for (Path p : s.toList()) {
                Path to = copy.resolve(finished.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(to);
                else Files.copy(p, to);
            }
        }
        return copy;
    }

    @Test
    void finishedRunKeepsTheLastAndTheBestCheckpoint() throws IOException {
        JsonNode run = new ObjectMapper().readTree(finished.resolve("run.json").toFile());
        long best = run.path("result").path("best_step").asLong();
        assertTrue(run.hasNonNull("finished"), "run.json says finished");
        List<String> checkpoints;
        try (var s = Files.list(finished)) {
            checkpoints = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("checkpoint-")).sorted().toList();
        }
        List<String> expected = best == 4 ? List.of("checkpoint-4") : List.of("checkpoint-" + best, "checkpoint-4");
        assertEquals(expected, checkpoints, "the last and the best (step " + best + ") of 4 saved checkpoints");
    }

    @Test
    void overwriteRefusesAFolderHoldingItsOwnInputModel() throws IOException {
        Path run = copyOfFinished("run");
        String m = refused(run, args(run, "--model", run.resolve("best").toString(), "--overwrite_output_dir"),
                "--overwrite_output_dir would delete this run's own input");
        assertTrue(m.contains("best"), m);
    }

    @Test
    void overwriteRefusesAFolderHoldingItsTrainingData() throws IOException {
        Path run = copyOfFinished("run");
        Path inside = Files.copy(data, run.resolve("train.txt"));
        refused(run, args(run, "--train_file", inside.toString(), "--overwrite_output_dir"), "train.txt");
    }

    @Test
    void outputDirThatIsAFile() throws IOException {
        Path file = Files.writeString(tmp.resolve("a-file"), "keep me");
        refused(tmp, args(file), "a-file", "is a file");
    }

    @Test
    void resumeFromAnEmptyTrainerState() throws IOException {
        Path run = copyOfFinished("run");
        Files.writeString(run.resolve("checkpoint-4/trainer_state.json"), "{}");
        refused(run, args(run, "--resume_from_checkpoint", "latest"), "checkpoint-4", "missing", "step");
    }

    @Test
    void resumeWithAnotherBlockSizeOrBatch() throws IOException {
        Path run = copyOfFinished("run");
        refused(run, args(run, "--resume_from_checkpoint", "latest", "--block_size", "32"), "--block_size 32", "16");
        refused(run, args(run, "--resume_from_checkpoint", "latest", "--per_device_train_batch_size", "4"),
                "--per_device_train_batch_size 4");
        refused(run, args(run, "--resume_from_checkpoint", "latest", "--objective", "mle"), "--objective mle");
    }

    @Test
    void resumeFromACheckpointOfAnotherModel() throws IOException {
        Path run = copyOfFinished("run");
        refused(run, args(run, "--resume_from_checkpoint", "latest", "--model", Fixtures.model("tiny-gpt2").toString()),
                "model weights sha256");
    }

    @Test
    void resumeIntoANewFolderContinuesTheRun() throws IOException {
        Path run = copyOfFinished("run");
        Path fresh = tmp.resolve("continued");
        List<String> a = args(fresh, "--resume_from_checkpoint", run.resolve("checkpoint-4").toString());
        CliRun r = CliRun.of(a.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        JsonNode rec = new ObjectMapper().readTree(fresh.resolve("run.json").toFile());
        assertTrue(rec.path("resumed_from").asText().endsWith("checkpoint-4"), rec.toString());
        assertTrue(rec.hasNonNull("finished"), rec.toString());
        long best = new ObjectMapper().readTree(finished.resolve("run.json").toFile()).path("result").path("best_step").asLong();
        assertEquals(best, rec.path("result").path("best_step").asLong(), "the run's best step carried over");
        assertEquals(DiskSnapshot.of(run.resolve("best")), DiskSnapshot.of(fresh.resolve("best")), "and its best/ model with it");
    }

    @Test
    void resumeSkipsABlankLineInMetrics() throws IOException {
        Path run = copyOfFinished("run");
        Files.writeString(run.resolve("metrics.csv"), Files.readString(run.resolve("metrics.csv")) + "\n\n");
        CliRun r = CliRun.of(args(run, "--resume_from_checkpoint", "latest").toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        List<String> lines = Files.readAllLines(run.resolve("metrics.csv"));
        assertTrue(lines.stream().skip(1).noneMatch(String::isBlank), "blank lines dropped: " + lines);
        assertEquals(4, Long.parseLong(lines.get(lines.size() - 1).split(",")[0]), "last row is step 4: " + lines);
    }

    @Test
    void secondRunIntoAFolderInUseFailsAndTheFirstCompletesUntouched() throws Exception {
        Path out = tmp.resolve("busy");
        List<String> first = args(out, "--max_steps", "12", "--logging_steps", "1");
        List<String> cmd = dev.emo.ChildJvm.main();
        cmd.addAll(first);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("first.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (!Files.isRegularFile(out.resolve("run.json")) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
            assertTrue(p.isAlive(), "the first run is still going: " + Files.readString(tmp.resolve("first.log")));
            // the same command, and one that would replace the folder: both refused, naming the holder
            CliRun same = CliRun.of(args(out).toArray(String[]::new));
            CliRun replace = CliRun.of(args(out, "--overwrite_output_dir").toArray(String[]::new));
            for (CliRun second : List.of(same, replace)) {
                assertEquals(2, second.code(), second.err());
                String line = second.err().strip().lines().reduce((a, b) -> b).orElse("");
                assertTrue(line.contains("another run is writing to this folder") && line.contains("pid " + p.pid()), line);
            }
            assertTrue(p.waitFor(3, TimeUnit.MINUTES), "the first run ended");
            assertEquals(0, p.exitValue(), Files.readString(tmp.resolve("first.log")));
        } finally {
            p.destroyForcibly();
        }
        List<String> steps = Files.readAllLines(out.resolve("metrics.csv")).stream().skip(1).map(l -> l.split(",")[0]).toList();
        assertEquals(List.of("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"), steps, "each step once");
        assertTrue(new ObjectMapper().readTree(out.resolve("run.json").toFile()).hasNonNull("finished"));
    }

    /**
     * Issue #21: a kill -9 while the first checkpoint was written left checkpoint-N.tmp beside an unfinished
     * run.json, and two messages that contradicted each other (resume: "no checkpoint"; a new run: "already
     * holds a run, resume it"). Now the second command's advice works: resuming such a run starts it again
     * in place (the same seeded steps), and nothing of the interrupted attempt is left.
     */
    @Test
    void aRunKilledDuringItsFirstCheckpointCanBeContinuedAsTheMessageSays() throws Exception {
        Path run = copyOfFinished("killed-first");
        try (var s = Files.list(run)) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith("checkpoint-")).toList()) dev.emo.training.RunFolder.deleteTree(p);
        }
        Files.createDirectories(run.resolve("checkpoint-1.tmp"));
        Files.write(run.resolve("checkpoint-1.tmp").resolve("model.onnx"), new byte[]{8, 7});   // cut off mid-file
        com.fasterxml.jackson.databind.node.ObjectNode record = (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper().readTree(run.resolve("run.json").toFile());
        record.remove(List.of("finished", "result"));
        Files.writeString(run.resolve("run.json"), record.toPrettyString());

        String m = refused(run, args(run), "already holds a run", "--resume_from_checkpoint latest");
        CliRun resumed = CliRun.of(args(run, "--resume_from_checkpoint", "latest").toArray(String[]::new));
        assertEquals(0, resumed.code(), resumed.err() + " (after: " + m + ")");
        try (var s = Files.list(run)) {
            assertTrue(s.noneMatch(x -> x.getFileName().toString().endsWith(".tmp")), "no temp folder left");
        }
        assertTrue(new ObjectMapper().readTree(run.resolve("run.json").toFile()).hasNonNull("finished"));
        assertEquals(Files.readAllLines(finished.resolve("metrics.csv")).stream().map(l -> l.split(",")[0] + " " + l.split(",")[3]).toList(),
                Files.readAllLines(run.resolve("metrics.csv")).stream().map(l -> l.split(",")[0] + " " + l.split(",")[3]).toList(), "the same steps, each once, with the same losses");
    }
}

package dev.emo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `finetune` in a separate JVM killed with SIGKILL mid-epoch, resumed with
 * --resume_from_checkpoint latest, ends with the same per-step losses as an uninterrupted run: on
 * plain text (full and LoRA) and on packed chat data.
 */
@org.junit.jupiter.api.Tag("slow")   // left out of ./run.sh test --fast
class KillResumeTest {
    @TempDir
    Path tmp;

    private List<String> extra = List.of();
    private Path model;
    private String blockSize = "16";

    private List<String> args(Path data, Path out) {
        List<String> a = new ArrayList<>(List.of("finetune", "--model", model.toString(),
                "--train_file", data.toString(), "--validation_file", data.toString(), "--max_eval_samples", "4",
                "--block_size", blockSize, "--per_device_train_batch_size", "2", "--max_steps", "24", "--save_steps", "2",
                "--eval_steps", "8", "--learning_rate", "2e-3", "--seed", "5", "--output_dir", out.toString()));
        a.addAll(extra);
        return a;
    }

    private static int inProcess(List<String> a) {
        return CliRun.of(a.toArray(String[]::new)).code();
    }

    private static JsonNode losses(Path checkpoint) throws Exception {
        return new ObjectMapper().readTree(checkpoint.resolve("trainer_state.json").toFile()).get("step_losses");
    }

    @Test
    void sigkillThenResumeRepeatsTheUninterruptedLosses() throws Exception {
        killAndResume(List.of());
    }

    /** LoRA: the checkpoints hold the adapters, their moments and the dropout masks' seeds (issue #12). */
    @Test
    void sigkillThenResumeRepeatsTheUninterruptedLossesWithLora() throws Exception {
        killAndResume(List.of("--lora_r", "4", "--lora_alpha", "8", "--lora_dropout", "0.1"));
    }

    /** Instruction data (#23): EMO on chat JSONL with Qwen3's template, packed; the checkpoints carry the packing flags. */
    @Test
    void sigkillThenResumeRepeatsTheUninterruptedLossesOnPackedChatData() throws Exception {
        StringBuilder lines = new StringBuilder();
        java.util.Random r = new java.util.Random(2);
        for (int i = 0; i < 120; i++) {
            String q = WORDS[r.nextInt(WORDS.length)] + " " + WORDS[r.nextInt(WORDS.length)], a = WORDS[r.nextInt(WORDS.length)] + " " + WORDS[r.nextInt(WORDS.length)];
            lines.append("{\"messages\": [{\"role\": \"user\", \"content\": \"").append(q).append("?\"}, {\"role\": \"assistant\", \"content\": \"")
                    .append(a).append(".\"}]}\n");
        }
        model = Fixtures.model("tiny-qwen3");
        blockSize = "64";
        killAndResume(Files.writeString(tmp.resolve("chat.jsonl"), lines), List.of("--objective", "emo", "--packing"));
    }

    private static final String[] WORDS = {"the", "cat", "sat", "on", "a", "mat", "and", "looked", "at", "sun", "dog", "ran", "home"};

    /** Plain text: 300 lines of 8 random words. */
    private void killAndResume(List<String> extraArgs) throws Exception {
        StringBuilder text = new StringBuilder();
        java.util.Random r = new java.util.Random(1);
        for (int line = 0; line < 300; line++) {
            for (int w = 0; w < 8; w++) text.append(WORDS[r.nextInt(WORDS.length)]).append(w == 7 ? ".\n" : " ");
        }
        model = Fixtures.model("stories260k");
        killAndResume(Files.writeString(tmp.resolve("train.txt"), text), extraArgs);
    }

    private void killAndResume(Path data, List<String> extraArgs) throws Exception {
        extra = extraArgs;

        Path full = tmp.resolve("full");
        assertEquals(0, inProcess(args(data, full)));

        Path killed = tmp.resolve("killed");
        List<String> cmd = dev.emo.ChildJvm.main();
        cmd.addAll(args(data, killed));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!Files.isDirectory(killed.resolve("checkpoint-6")) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
        assertTrue(p.isAlive(), "the child was still training when killed: " + Files.readString(tmp.resolve("child.log")));
        p.destroyForcibly(); // SIGKILL
        p.waitFor();
        assertTrue(!Files.exists(killed.resolve("checkpoint-24")), "killed before the end");

        List<String> resume = args(data, killed);
        resume.addAll(List.of("--resume_from_checkpoint", "latest"));
        assertEquals(0, inProcess(resume));

        JsonNode a = losses(full.resolve("checkpoint-24")), b = losses(killed.resolve("checkpoint-24"));
        assertEquals(24, a.size());
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertTrue(Double.isFinite(a.get(i).asDouble()) && a.get(i).asDouble() > 0, "a real loss at step " + (i + 1) + ": " + a.get(i));
            assertEquals(a.get(i).asDouble(), b.get(i).asDouble(), 1e-6, "loss of step " + (i + 1));
        }
        try (var s = Files.list(killed)) {
            assertTrue(s.noneMatch(x -> x.getFileName().toString().endsWith(".tmp")), "no temp folders left after resume");
        }
    }
}

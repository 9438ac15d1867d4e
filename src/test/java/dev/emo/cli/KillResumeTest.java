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

    /**
     * A LoRA run on a bfloat16 checkpoint kept in bfloat16 (#22): resumes exactly after SIGKILL, and its
     * best/ holds the merged weights in bfloat16, bf16(W + (α/r)·B·A), which load with the logits of a
     * float32 graph on exactly those values.
     */
    @Test
    void sigkillThenResumeOnABfloat16BaseAndBestInBfloat16() throws Exception {
        Path bf16 = Fixtures.bf16Checkpoint("stories260k", tmp.resolve("stories260k-bf16"));
        StringBuilder text = new StringBuilder();
        java.util.Random r = new java.util.Random(1);
        for (int line = 0; line < 300; line++) {
            for (int w = 0; w < 8; w++) text.append(WORDS[r.nextInt(WORDS.length)]).append(w == 7 ? ".\n" : " ");
        }
        model = bf16;
        killAndResume(Files.writeString(tmp.resolve("train.txt"), text), List.of("--lora_r", "4", "--lora_alpha", "8", "--base_dtype", "auto"));

        Path best = tmp.resolve("killed").resolve("best");
        var header = dev.emo.safetensors.SafeTensors.header(best.resolve("model.safetensors"));
        assertTrue(header.values().stream().allMatch(e -> e.dtype().equals("BF16")), "best/ in the base's dtype: " + header);
        // the expected weights: the base's, the run's adapters merged, rounded to bfloat16
        var lora = dev.emo.registry.Models.load(bf16, new dev.emo.models.GraphOptions(false,
                dev.emo.registry.PeftAdapter.read(best).spec())).model();
        dev.emo.registry.PeftAdapter.load(lora, dev.emo.registry.PeftAdapter.read(best), best);
        java.util.Map<String, org.nd4j.linalg.api.ndarray.INDArray> want = new java.util.LinkedHashMap<>();
        lora.mergedWeights().forEach((k, v) -> want.put(k, v.rank() == 2
                ? dev.emo.lowbit.PackedMatrix.of(v, dev.emo.lowbit.BaseDType.BFLOAT16).toFloat()
                : dev.emo.lowbit.PackedMatrix.of(v.reshape(1, -1), dev.emo.lowbit.BaseDType.BFLOAT16).toFloat().reshape(v.shape())));
        var expected = dev.emo.registry.Models.build(lora.config(), false);
        expected.loadWeights(want, bf16);
        var loaded = dev.emo.registry.Models.load(best).model();
        var ids = org.nd4j.linalg.factory.Nd4j.createFromArray(new long[][]{{1, 5, 9, 14, 2, 7, 30, 11}});
        var mask = org.nd4j.linalg.factory.Nd4j.ones(org.nd4j.linalg.api.buffer.DataType.INT64, 1, 8);
        double diff = loaded.forward(ids, mask).sub(expected.forward(ids, mask)).amaxNumber().doubleValue();
        assertTrue(diff <= 1e-5, "best/ vs bf16(W + (α/r)·B·A): max |Δlogit| " + diff);
        assertTrue(lora.forward(ids, mask).sub(dev.emo.registry.Models.load(bf16).model().forward(ids, mask)).amaxNumber().doubleValue() > 0,
                "the run's adapters change the model");
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

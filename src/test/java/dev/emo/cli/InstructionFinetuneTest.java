package dev.emo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.Fixtures;
import dev.emo.jobs.FinetuneJob;
import dev.emo.jobs.FinetuneSettings;
import dev.emo.objectives.Objective;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * finetune on chat JSONL ({"messages"}) as a user runs it: EMO on the Llama 3 and Qwen3 fixtures (real
 * tokenizers and chat templates), full with --packing and LoRA without; a run stopped mid-way and resumed
 * from its latest checkpoint repeats the uninterrupted run's losses.
 */
@Tag("slow")   // left out of ./run.sh test --fast
class InstructionFinetuneTest {
    @TempDir
    Path tmp;

    /** n conversations, a third with a system turn, a third two exchanges long. */
    static Path chat(Path file, int n, int seed) throws IOException {
        List<String> lines = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (int i = 0; i < n; i++) {
            int a = (i * 7 + seed) % 10, b = (i * 3 + seed) % 10;
            List<java.util.Map<String, String>> m = new ArrayList<>();
            if (i % 3 == 0) m.add(java.util.Map.of("role", "system", "content", "You answer sums in one sentence."));
            m.add(java.util.Map.of("role", "user", "content", "What is " + a + " plus " + b + "?"));
            m.add(java.util.Map.of("role", "assistant", "content", a + " plus " + b + " is " + (a + b) + "."));
            if (i % 3 == 1) {
                m.add(java.util.Map.of("role", "user", "content", "And times?"));
                m.add(java.util.Map.of("role", "assistant", "content", a + " times " + b + " is " + (a * b) + "."));
            }
            lines.add(json.writeValueAsString(java.util.Map.of("messages", m)));
        }
        return Files.write(file, lines);
    }

    @Test
    void emoOnChatDataRunsOnLlama3AndQwen3FullAndLora() throws IOException {
        Path train = chat(tmp.resolve("train.jsonl"), 12, 1), valid = chat(tmp.resolve("valid.jsonl"), 4, 5);
        for (String name : new String[]{"tiny-llama3", "tiny-qwen3"}) {
            Path model = Fixtures.model(name);
            for (String variant : new String[]{"full", "lora"}) {
                Path out = tmp.resolve(name + "-" + variant);
                List<String> args = new ArrayList<>(List.of("finetune", "--model", model.toString(), "--train_file", train.toString(),
                        "--validation_file", valid.toString(), "--objective", "emo", "--max_steps", "2", "--block_size", "96",
                        "--per_device_train_batch_size", "2", "--eval_steps", "2", "--learning_rate", "1e-3", "--output_dir", out.toString()));
                args.addAll(variant.equals("full") ? List.of("--packing") : List.of("--lora_r", "4"));
                CliRun r = CliRun.of(args.toArray(String[]::new));
                assertEquals(0, r.code(), name + " " + variant + "\n" + r.err());
                JsonNode run = new ObjectMapper().readTree(out.resolve("run.json").toFile());
                JsonNode ins = run.path("settings").path("instruction");
                assertEquals(variant.equals("full"), ins.path("packing").asBoolean(), name + " " + variant + ": run.json records packing " + ins);
                assertTrue(ins.path("completion_only_loss").asBoolean(), "completion-only loss by default");
                double after = run.path("result").path("validation_ppl_after").asDouble();
                assertTrue(Double.isFinite(after) && after > 1, name + " " + variant + ": validation perplexity " + after);
                assertTrue(Files.isDirectory(out.resolve("best")), "best/ written");
            }
        }
    }

    static final class Stop extends RuntimeException {}

    private static FinetuneSettings settings(Path model, Path train, Path out, String resume) {
        return FinetuneSettings.builder(model, train, out).objective(Objective.of("emo")).blockSize(96).validationSplitPercentage(20)
                .instruction(new FinetuneSettings.Instruction(true, null, true)).learningRate(1e-3).perDeviceTrainBatchSize(2)
                .maxSteps(6).evalSteps(3).saveSteps(2).seed(3).resumeFromCheckpoint(resume).build();
    }

    @Test
    void packedChatRunResumedAfterAnInterruptionRepeatsTheLosses() throws Exception {
        Path model = Fixtures.model("tiny-qwen3"), train = chat(tmp.resolve("train.jsonl"), 20, 2);
        Path whole = tmp.resolve("whole"), killed = tmp.resolve("killed");
        FinetuneJob.prepare(settings(model, train, whole, null)).run(FinetuneJob.Listener.NONE);
        FinetuneJob first = FinetuneJob.prepare(settings(model, train, killed, null));
        assertThrows(Stop.class, () -> first.run(new FinetuneJob.Listener() {
            @Override
            public void step(long step, double loss) {
                if (step == 5) throw new Stop();   // after checkpoint-4, before checkpoint-6
            }
        }));
        assertFalse(Files.exists(killed.resolve("checkpoint-6")));
        FinetuneJob.prepare(settings(model, train, killed, "latest")).run(FinetuneJob.Listener.NONE);
        JsonNode a = losses(whole.resolve("checkpoint-6")), b = losses(killed.resolve("checkpoint-6"));
        assertEquals(6, a.size());
        for (int i = 0; i < a.size(); i++) assertEquals(a.get(i).asDouble(), b.get(i).asDouble(), 1e-6, "loss of step " + (i + 1));
    }

    private static JsonNode losses(Path checkpoint) throws IOException {
        return new ObjectMapper().readTree(checkpoint.resolve("trainer_state.json").toFile()).get("step_losses");
    }
}

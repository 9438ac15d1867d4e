package dev.emo.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.Fixtures;
import dev.emo.SharedData;
import dev.emo.cli.Main;
import dev.emo.jobs.FinetuneJob;
import dev.emo.jobs.FinetuneSettings;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code finetune --gradient_checkpointing} end to end: the flag's run has the stored-activation
 * run's losses, run.json records it, and a resume may drop it (it changes no number, so it is not
 * among the settings a checkpoint requires unchanged).
 */
@Tag("slow")   // two finetune runs end to end
class GradientCheckpointingRunTest {
    @Test
    void theFlagsRunHasTheSameLossesAndIsRecorded(@TempDir Path tmp) throws Exception {
        Path model = Fixtures.model("stories260k"), ptbTrain = SharedData.data().resolve("ptb").resolve("ptb.train.txt");
        Assumptions.assumeTrue(Files.isRegularFile(ptbTrain), SharedData.missingMessage("data/ptb"));
        Path text = tmp.resolve("ptb-head.txt");                  // 300 lines: enough for 32 blocks of 32 tokens, quick to tokenise
        try (var lines = Files.lines(ptbTrain)) {
            Files.write(text, lines.limit(300).toList());
        }
        Path stored = tmp.resolve("stored"), checkpointed = tmp.resolve("checkpointed");
        assertEquals(0, finetune(model, text, stored));
        assertEquals(0, finetune(model, text, checkpointed, "--gradient_checkpointing"));

        JsonNode want = losses(stored), got = losses(checkpointed);
        assertEquals(STEPS, want.size());
        for (int i = 0; i < STEPS; i++) assertEquals(want.get(i).asDouble(), got.get(i).asDouble(), 0.0, "loss of step " + (i + 1));
        assertEquals(false, trainingArgs(stored).path("gradientCheckpointing").asBoolean(true));
        assertEquals(true, trainingArgs(checkpointed).path("gradientCheckpointing").asBoolean(false));

        FinetuneSettings resumeWithout = FinetuneSettings.builder(model, text, checkpointed)
                .validationFile(text).blockSize(32).maxTrainSamples(32).maxEvalSamples(2).perDeviceTrainBatchSize(4)
                .perDeviceEvalBatchSize(2).maxSteps(STEPS).saveSteps(STEPS).learningRate(1e-3).seed(3)
                .resumeFromCheckpoint("latest").gradientCheckpointing(false).build();
        assertEquals(STEPS, FinetuneJob.prepare(resumeWithout).plan().resumeStep(), "the resume is accepted");
    }

    private static final int STEPS = 2;

    /** 2 steps of 4 × 32 tokens, then a checkpoint. */
    private static int finetune(Path model, Path text, Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("finetune", "--model", model.toString(),
                "--train_file", text.toString(), "--validation_file", text.toString(),
                "--block_size", "32", "--max_train_samples", "32", "--max_eval_samples", "2", "--per_device_train_batch_size", "4",
                "--per_device_eval_batch_size", "2", "--max_steps", Integer.toString(STEPS), "--save_steps", Integer.toString(STEPS),
                "--learning_rate", "1e-3", "--seed", "3", "--output_dir", out.toString()));
        args.addAll(List.of(more));
        return Main.execute(args.toArray(String[]::new));
    }

    private static JsonNode losses(Path run) throws java.io.IOException {
        return new ObjectMapper().readTree(run.resolve("checkpoint-" + STEPS).resolve("trainer_state.json").toFile()).get("step_losses");
    }

    private static JsonNode trainingArgs(Path run) throws java.io.IOException {
        return new ObjectMapper().readTree(run.resolve("run.json").toFile()).path("settings").path("training_args");
    }
}

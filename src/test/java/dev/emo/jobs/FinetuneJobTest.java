package dev.emo.jobs;

import dev.emo.Fixtures;
import dev.emo.SharedData;
import dev.emo.UserError;
import dev.emo.objectives.Objective;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The library API as the README shows it: settings, prepare (writes nothing), run, typed run record. */
class FinetuneJobTest {
    @Test
    void theReadmeExampleTrainsAndRecordsTheRun(@TempDir Path tmp) {
        Path model = Fixtures.model("stories260k");
        Path train = SharedData.data().resolve("ptb").resolve("ptb.train.txt"), valid = SharedData.data().resolve("ptb").resolve("ptb.valid.txt");
        Assumptions.assumeTrue(Files.isRegularFile(train) && Files.isRegularFile(valid), SharedData.missingMessage("data/ptb"));
        Path out = tmp.resolve("runs").resolve("emo");

        FinetuneSettings settings = FinetuneSettings.builder(model, train, out)
                .validationFile(valid).objective(Objective.of("emo")).learningRate(1e-3).blockSize(64)
                .maxTrainSamples(64).maxEvalSamples(16).perDeviceTrainBatchSize(8).maxSteps(8).evalSteps(4).build();
        FinetuneJob job = FinetuneJob.prepare(settings);
        assertFalse(Files.exists(out), "prepare writes nothing");
        assertEquals(8, job.plan().totalSteps());
        assertEquals(64, job.plan().trainExamples());

        FinetuneJob.Result r = job.run(FinetuneJob.Listener.NONE);
        assertTrue(r.validationAfter().perplexity() < r.validationBefore().perplexity(),
                "validation perplexity " + r.validationBefore().perplexity() + " -> " + r.validationAfter().perplexity());
        assertTrue(Files.isRegularFile(r.bestModel().resolve("model.onnx")), "best/ exported");
        RunRecord record = RunRecord.read(out);
        assertTrue(record.complete());
        assertEquals("emo", record.settings().objective());
        assertEquals(64, record.settings().blockSize());
        assertEquals(r.validationAfter().perplexity(), record.result().validationPplAfter(), 1e-12);
        assertEquals(r.bestStep(), record.result().bestStep());

        assertThrows(IllegalStateException.class, () -> job.run(FinetuneJob.Listener.NONE), "a job runs once");
        UserError again = assertThrows(UserError.class, () -> FinetuneJob.prepare(settings));
        assertTrue(again.getMessage().contains("already holds a run"), again.getMessage());
    }

    @Test
    void settingsCheckTheirRangesWhenBuilt() {
        FinetuneSettings.Builder b = FinetuneSettings.builder(Path.of("m"), Path.of("t.txt"), Path.of("out"));
        assertTrue(assertThrows(UserError.class, () -> b.blockSize(1).build()).getMessage().contains("--block_size 1"));
        b.blockSize(16);
        assertTrue(assertThrows(UserError.class, () -> b.validationSplitPercentage(0).build()).getMessage().contains("--validation_split_percentage 0"));
        b.validationSplitPercentage(5);
        assertTrue(assertThrows(UserError.class, () -> b.maxTrainSamples(-1).build()).getMessage().contains("--max_train_samples -1"));
        b.maxTrainSamples(0);
        assertTrue(assertThrows(UserError.class, () -> b.learningRate(Double.NaN).build()).getMessage().contains("--learning_rate NaN"));
        b.learningRate(1e-4);
        assertTrue(assertThrows(UserError.class, () -> b.gradientAccumulationSteps(0).build()).getMessage().contains("--gradient_accumulation_steps"));
        b.gradientAccumulationSteps(1);
        assertEquals(16, b.build().blockSize());
    }
}

package dev.emo.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.emo.UserError;
import dev.emo.training.TrainingArgs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * run.json: what a fine-tuning run was given (settings, inputs with their hashes, versions, host),
 * when it started, was resumed and finished, and how it ended. {@code finished} is written last,
 * after the final evaluation and export, so a run without it is unfinished.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunRecord(String command, Settings settings, ModelRef model, Map<String, String> data, Examples examples,
                        Map<String, String> versions, Host host, String started, List<String> resumed, String resumedFrom,
                        String finished, Result result) {
    public static final String FILE = "run.json";

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Settings(String objective, String costEmbedding, int blockSize, boolean lineByLine, int maxTrainSamples,
                           int maxEvalSamples, int validationSplitPercentage, TrainingArgs trainingArgs, Lora lora, Instruction instruction) {}

    /** Instruction data as trained (null: plain text); chat_template null: the model's own; truncated: examples cut to the block. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Instruction(boolean completionOnlyLoss, String chatTemplate, boolean packing, int truncated) {}

    /** LoRA as trained (null: full fine-tuning); target_modules as resolved for the family. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Lora(int r, double alpha, double dropout, List<String> targetModules, boolean merged) {}

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ModelRef(String path, String format, String weightsSha256) {}

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Examples(int train, int validation, int test, long trainTokens) {}

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Host(String name, int cores, String os) {}

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Result(double validationPplBefore, double validationPplAfter, Double testPplBefore, Double testPplAfter,
                         double trainSeconds, long bestStep) {}

    /** Not "isFinished": Jackson would take that for the {@code finished} property. */
    public boolean complete() {
        return finished != null && result != null;
    }

    RunRecord resumedAt(String when, Path checkpoint) {
        List<String> r = new ArrayList<>(resumed == null ? List.of() : resumed);
        r.add(when);
        return new RunRecord(command, settings, model, data, examples, versions, host, started, r,
                resumedFrom == null ? checkpoint.toAbsolutePath().toString() : resumedFrom, null, null);
    }

    RunRecord finishedWith(String when, Result r) {
        return new RunRecord(command, settings, model, data, examples, versions, host, started, resumed, resumedFrom, when, r);
    }

    /** Reads a run folder's run.json; a missing or unreadable one is one line. */
    public static RunRecord read(Path runDir) {
        Path file = runDir.resolve(FILE);
        if (!Files.isRegularFile(file)) throw UserError.of(runDir, "holds no run (no " + FILE + ")", "pass the folder of a ./run.sh finetune run");
        try {
            return new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false).readValue(file.toFile(), RunRecord.class);
        } catch (IOException | UserError e) {
            throw UserError.of(file, "cannot be read (" + e.getMessage().lines().findFirst().orElse("") + ")",
                    "restore it, or start a new run in another --output_dir");
        }
    }
}

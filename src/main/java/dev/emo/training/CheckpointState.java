package dev.emo.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint's trainer_state.json, read and checked in full before anything is restored: every
 * field present and in range, the tensor files beside it, and the settings that decide the
 * training trajectory ({@code run_settings}: model and data hashes, objective, block size, batch,
 * accumulation, seed, schedule …) equal to the resuming run's, so "exact resume" holds.
 *
 * @param runSettings setting name (a flag, or a hash's name) → value, as the run that wrote it had them
 */
public record CheckpointState(Path dir, long step, int epoch, long position, long adamStep, Double bestEvalLoss, long bestStep,
                              List<Double> stepLosses, Map<String, String> runSettings) {
    public static final String FILE = "trainer_state.json";
    static final List<String> TENSOR_FILES = List.of("optimizer.bin", "cost_embedding.bin");

    public CheckpointState {
        stepLosses = List.copyOf(stepLosses);
        runSettings = Map.copyOf(runSettings);
    }

    /** Reads and checks a checkpoint folder; any problem is one line naming the file. */
    public static CheckpointState read(Path checkpoint) {
        Path file = checkpoint.resolve(FILE);
        if (!Files.isDirectory(checkpoint)) {
            throw UserError.of(checkpoint, "not found", "pass a checkpoint-N folder of a run, or 'latest' with that run's --output_dir");
        }
        if (!Files.isRegularFile(file)) {
            throw UserError.of(checkpoint, "is not a checkpoint (no " + FILE + ")", "pass a checkpoint-N folder or 'latest'");
        }
        JsonNode s;
        try {
            s = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw UserError.of(file, "corrupt checkpoint state (" + e.getMessage().lines().findFirst().orElse("") + ")",
                    "resume from another checkpoint-N folder");
        }
        List<String> missing = new ArrayList<>();
        for (String f : List.of("step", "epoch", "position", "adam_step", "best_step")) {
            if (s == null || !s.path(f).canConvertToLong()) missing.add(f);
        }
        if (s == null || !s.path("step_losses").isArray()) missing.add("step_losses");
        if (s == null || !s.path("run_settings").isObject()) missing.add("run_settings");
        if (!missing.isEmpty()) {
            throw UserError.of(file, "corrupt checkpoint state: missing or invalid " + String.join(", ", missing),
                    "resume from another checkpoint-N folder (one written by this version), or start a new run");
        }
        long step = s.get("step").asLong(), position = s.get("position").asLong(), adamStep = s.get("adam_step").asLong();
        int epoch = s.get("epoch").asInt();
        if (step < 1 || epoch < 0 || position < 0 || adamStep != step || s.get("step_losses").size() != step) {
            throw UserError.of(file, "corrupt checkpoint state: step " + step + ", epoch " + epoch + ", position " + position
                    + ", adam_step " + adamStep + ", " + s.get("step_losses").size() + " step losses do not agree",
                    "resume from another checkpoint-N folder");
        }
        for (String t : TENSOR_FILES) {
            if (!Files.isRegularFile(checkpoint.resolve(t))) {
                throw UserError.of(checkpoint, "incomplete checkpoint: no " + t, "resume from another checkpoint-N folder");
            }
        }
        List<Double> losses = new ArrayList<>();
        s.get("step_losses").forEach(x -> losses.add(x.asDouble()));
        Map<String, String> settings = new LinkedHashMap<>();
        s.get("run_settings").fields().forEachRemaining(e -> settings.put(e.getKey(), e.getValue().asText()));
        Double best = s.path("best_eval_loss").isNumber() ? s.get("best_eval_loss").asDouble() : null;
        return new CheckpointState(checkpoint, step, epoch, position, adamStep, best, s.get("best_step").asLong(), losses, settings);
    }

    /**
     * Refuses a resume whose trajectory settings differ from the checkpoint's: the first difference
     * is one line (a checkpoint of another model shows as a different model hash).
     */
    public void requireSameRun(Map<String, String> current) {
        for (var e : current.entrySet()) {
            String before = runSettings.get(e.getKey());
            if (!e.getValue().equals(before)) {
                String what = e.getKey().startsWith("--") ? e.getKey() + " " + e.getValue() : e.getKey() + " (" + e.getValue() + ")";
                throw UserError.of(dir.resolve(FILE), "this run has " + what + " but the checkpoint was trained with "
                                + (before == null ? "no such setting" : before) + "; exact resume needs the same model, data and settings",
                        "pass the checkpoint's settings (see run.json), or start a new run without --resume_from_checkpoint");
            }
        }
        for (String k : runSettings.keySet()) {
            if (!current.containsKey(k)) {
                throw UserError.of(dir.resolve(FILE), "the checkpoint was trained with " + k + " " + runSettings.get(k) + ", which this run does not set",
                        "resume with the checkpoint's settings (see run.json)");
            }
        }
    }

    void write(Path file) throws IOException {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("step", step);
        state.put("epoch", epoch);
        state.put("position", position);
        state.put("adam_step", adamStep);
        state.put("best_eval_loss", bestEvalLoss);
        state.put("best_step", bestStep);
        state.put("step_losses", stepLosses);
        state.put("run_settings", new java.util.TreeMap<>(runSettings));
        new ObjectMapper().writeValue(file.toFile(), state);
    }
}

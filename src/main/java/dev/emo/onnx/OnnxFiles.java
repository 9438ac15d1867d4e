package dev.emo.onnx;

import dev.emo.UserError;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Finds the ONNX graph inside an exported model folder, in the layouts Optimum writes. */
public final class OnnxFiles {
    /**
     * Preference order: the plain no-cache decoder first (runnable as is), then the merged decoder
     * (runnable with use_cache_branch=false), then the with-past decoder (weights only).
     */
    public static final List<String> CANDIDATES = List.of(
            "model.onnx", "decoder_model.onnx", "decoder_model_merged.onnx", "decoder_with_past_model.onnx");

    private OnnxFiles() {}

    public static Path find(Path modelDir) {
        if (!Files.isDirectory(modelDir)) {
            throw UserError.of(modelDir, "not a folder", "pass the folder that holds model.onnx and config.json");
        }
        for (String name : CANDIDATES) {
            Path p = modelDir.resolve(name);
            if (Files.isRegularFile(p)) return p;
        }
        throw UserError.of(modelDir, "no ONNX model (looked for " + String.join(", ", CANDIDATES) + ")",
                "export one with `optimum-cli export onnx --model gpt2 --task text-generation DIR`");
    }
}

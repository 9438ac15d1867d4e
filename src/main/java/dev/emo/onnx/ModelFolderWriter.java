package dev.emo.onnx;

import dev.emo.UserError;
import dev.emo.models.CausalLM;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Writes a deployable model folder: the tuned weights in the input export's own ONNX layout and
 * file name, plus config.json and the tokenizer files copied from the input folder.
 */
public final class ModelFolderWriter {
    /** Files a Hugging Face model folder may carry besides the graph; copied when present. */
    public static final List<String> SIDE_FILES = List.of("config.json", "generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", "tokenizer.model");

    private ModelFolderWriter() {}

    /**
     * config.json and the tokenizer files ({@link #SIDE_FILES}) of {@code inputDir} into {@code outDir}
     * (created), each written under a temporary name and renamed: every model folder the application writes has them.
     */
    public static void copySideFiles(Path inputDir, Path outDir) {
        try {
            Files.createDirectories(outDir);
            for (String name : SIDE_FILES) {
                Path from = inputDir.resolve(name);
                if (Files.isRegularFile(from)) {
                    Path tmp = outDir.resolve(name + ".tmp");
                    Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(tmp, outDir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                }
            }
        } catch (IOException e) {
            throw UserError.of(outDir, "cannot be written (" + e.getMessage() + ")", "check free disk space and permissions");
        }
    }

    public static Path write(CausalLM model, OnnxWeights source, Path inputDir, Path outDir) {
        return write(model, model.weights(), source, inputDir, outDir);
    }

    /** With {@code weights} in place of the model's own (LoRA: the merged weights). */
    public static Path write(CausalLM model, java.util.Map<String, org.nd4j.linalg.api.ndarray.INDArray> weights, OnnxWeights source,
                             Path inputDir, Path outDir) {
        copySideFiles(inputDir, outDir);
        Path target = outDir.resolve(source.file().getFileName().toString());
        OnnxExport.write(source, weights, model.lmHead().name(), target);
        return target;
    }
}

package dev.emo.registry;

import dev.emo.models.CausalLM;

import java.nio.file.Path;

/**
 * Where a model's weights came from (an ONNX export, or a Hugging Face safetensors checkpoint), and
 * how to write tuned weights back in that same format: users get their model back as they brought it.
 */
public interface ModelSource {
    /** The weights file (hashed into a run's record): the .onnx file, model.safetensors or its shard index. */
    Path file();

    /** "onnx" or "safetensors". */
    String format();

    /** A deployable folder: the model's current weights in this format, plus config.json and the tokenizer files of {@code inputDir}. */
    void writeFolder(CausalLM model, Path inputDir, Path outDir);
}

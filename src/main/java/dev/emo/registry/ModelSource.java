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

    /**
     * A deployable folder: {@code weights} (by parameter name: the model's own, or with LoRA the
     * merged ones) in this format, plus config.json and the tokenizer files of {@code inputDir}.
     */
    void writeFolder(CausalLM model, java.util.Map<String, org.nd4j.linalg.api.ndarray.INDArray> weights, Path inputDir, Path outDir);

    /**
     * {@link #writeFolder} with the model's merged weights ({@link CausalLM#mergedWeights()}). A format
     * that can write tensor by tensor overrides this so that a packed base is never inflated to float32.
     */
    default void writeMerged(CausalLM model, Path inputDir, Path outDir) {
        writeFolder(model, model.mergedWeights(), inputDir, outDir);
    }
}

package dev.emo.models;

import dev.emo.onnx.OnnxFiles;
import dev.emo.onnx.OnnxWeights;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Loads an exported model folder (config.json + ONNX) into the matching SameDiff graph. */
public final class Models {
    private Models() {}

    public static CausalLM build(ModelConfig c) {
        return switch (c.modelType()) {
            case "gpt2" -> new Gpt2(c);
            case "opt" -> new Opt(c);
            case "llama" -> new Llama(c);
            default -> throw new IllegalStateException("unreachable: " + c.modelType());
        };
    }

    /** The loaded model and the export it came from (kept for writing the tuned weights back). */
    public record Loaded(CausalLM model, OnnxWeights onnx) {}

    public static Loaded load(Path modelDir) {
        ModelConfig config = ModelConfig.read(modelDir);
        OnnxWeights onnx = OnnxWeights.read(OnnxFiles.find(modelDir));
        CausalLM model = build(config);
        Map<String, INDArray> weights = new LinkedHashMap<>();
        onnx.params().forEach((k, p) -> weights.put(k, p.value()));
        model.loadWeights(weights, onnx.file());
        return new Loaded(model, onnx);
    }
}

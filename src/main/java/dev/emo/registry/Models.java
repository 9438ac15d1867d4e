package dev.emo.registry;

import dev.emo.models.CausalLM;
import dev.emo.models.ModelConfig;
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
        return build(c, false);
    }

    /** The family's graph; with {@code kvCache}, the incremental-decoding variant (see {@link CausalLM}). */
    public static CausalLM build(ModelConfig c, boolean kvCache) {
        return ModelFamilies.of(c).build(c, kvCache);
    }

    /** The loaded model and the export it came from (kept for writing the tuned weights back). */
    public record Loaded(CausalLM model, OnnxWeights onnx) {}

    public static Loaded load(Path modelDir) {
        return load(modelDir, false);
    }

    /** With {@code kvCache}, the incremental-decoding graph, which also serves plain forward passes. */
    public static Loaded load(Path modelDir, boolean kvCache) {
        ModelConfig config = ModelFamilies.config(modelDir);
        OnnxWeights onnx = OnnxWeights.read(OnnxFiles.find(modelDir));
        CausalLM model = build(config, kvCache);
        Map<String, INDArray> weights = new LinkedHashMap<>();
        onnx.params().forEach((k, p) -> weights.put(k, p.value()));
        model.loadWeights(weights, onnx.file());
        return new Loaded(model, onnx);
    }

    /** A KV-cache graph holding the same weights as {@code model} (copied, so training may go on). */
    public static CausalLM withKvCache(CausalLM model) {
        CausalLM cached = build(model.config(), true);
        cached.loadWeights(model.weights(), model.weightsSource());
        return cached;
    }
}

package dev.emo.registry;

import dev.emo.UserError;
import dev.emo.models.CausalLM;
import dev.emo.models.GraphOptions;
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
        return build(c, GraphOptions.of(kvCache));
    }

    public static CausalLM build(ModelConfig c, GraphOptions options) {
        return ModelFamilies.of(c).build(c, options);
    }

    /** The loaded model and where its weights came from (kept for writing the tuned weights back). */
    public record Loaded(CausalLM model, ModelSource source) {
        /** The ONNX export, for what only works on one (verify, ONNX Runtime parity); a one-line error otherwise. */
        public OnnxWeights onnx() {
            if (source instanceof OnnxSource o) return o.onnx();
            throw UserError.of(source.file(), "is a " + source.format() + " checkpoint, and this needs an ONNX export",
                    "export the model with `optimum-cli export onnx --model DIR --task text-generation OUT`");
        }
    }

    public static Loaded load(Path modelDir) {
        return load(modelDir, false);
    }

    /**
     * An exported model folder (config.json + ONNX) or a Hugging Face checkpoint folder (config.json
     * + model.safetensors or its shards); the ONNX export wins where a folder has both. With
     * {@code kvCache}, the incremental-decoding graph, which also serves plain forward passes.
     */
    public static Loaded load(Path modelDir, boolean kvCache) {
        return load(modelDir, GraphOptions.of(kvCache));
    }

    /** With LoRA options, the adapters start as PEFT initialises them only once {@code initLora} is called (A, B zero here). */
    public static Loaded load(Path modelDir, GraphOptions options) {
        ModelConfig config = ModelFamilies.config(modelDir);
        Map<String, INDArray> weights = new LinkedHashMap<>();
        ModelSource source;
        if (!hasOnnx(modelDir) && SafetensorsCheckpoint.present(modelDir)) {
            var read = SafetensorsCheckpoint.read(modelDir, ModelFamilies.of(config));
            source = read.getKey();
            weights.putAll(read.getValue());
        } else {
            OnnxWeights onnx = OnnxWeights.read(OnnxFiles.find(modelDir));
            onnx.params().forEach((k, p) -> weights.put(k, p.value()));
            source = new OnnxSource(onnx);
        }
        CausalLM model = build(config, options);
        model.loadWeights(weights, source.file());
        return new Loaded(model, source);
    }

    private static boolean hasOnnx(Path dir) {
        return OnnxFiles.CANDIDATES.stream().anyMatch(n -> java.nio.file.Files.isRegularFile(dir.resolve(n)));
    }

    /** A KV-cache graph holding the same weights as {@code model} (copied, so training may go on; LoRA adapters merged). */
    public static CausalLM withKvCache(CausalLM model) {
        CausalLM cached = build(model.config(), true);
        cached.loadWeights(model.mergedWeights(), model.weightsSource());   // adapters, if any, merged in
        return cached;
    }
}

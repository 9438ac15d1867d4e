package dev.emo.registry;

import dev.emo.UserError;
import dev.emo.lowbit.BaseDType;
import dev.emo.models.CausalLM;
import dev.emo.models.GraphOptions;
import dev.emo.models.ModelConfig;
import dev.emo.onnx.OnnxFiles;
import dev.emo.onnx.OnnxWeights;
import dev.emo.weights.StoredTensor;

import java.nio.file.Path;
import java.util.List;

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
        if (options.lora() == null && !hasOnnx(modelDir) && !SafetensorsCheckpoint.present(modelDir) && PeftAdapter.present(modelDir)) {
            // a LoRA run's best/ written with --merge_lora false: the adapters, for the base they name
            PeftAdapter.Adapter adapter = PeftAdapter.read(modelDir);
            Path base = Path.of(adapter.baseModel());
            if (adapter.baseModel().isBlank() || !java.nio.file.Files.isDirectory(base)) {
                throw UserError.of(modelDir.resolve(PeftAdapter.CONFIG), "holds adapters only, and its base_model_name_or_path '"
                        + adapter.baseModel() + "' is not a folder here", "pass the base model with --model and this folder with --adapter");
            }
            return loadWithAdapter(base, modelDir, options.kvCache());
        }
        ModelConfig config = ModelFamilies.config(modelDir);
        ModelSource source;
        List<StoredTensor> tensors;   // headers only: each tensor is read into the graph's own storage, one at a time
        if (!hasOnnx(modelDir) && SafetensorsCheckpoint.present(modelDir)) {
            SafetensorsCheckpoint.Opened opened = SafetensorsCheckpoint.open(modelDir, ModelFamilies.of(config));
            source = opened.source();
            tensors = opened.tensors();
        } else {
            OnnxWeights onnx = OnnxWeights.open(OnnxFiles.find(modelDir));
            source = new OnnxSource(onnx);
            tensors = onnx.tensors();
        }
        CausalLM model = build(config, options);
        model.loadWeights(tensors, source.file());
        return new Loaded(model, source);
    }

    /**
     * {@code --base_dtype} resolved for this model folder, before anything is loaded: "auto" is the
     * checkpoint's own 16-bit type for a frozen base (LoRA training, or inference), float32 otherwise
     * ({@link BaseDType#auto}); a bfloat16 checkpoint kept in bfloat16 computes exactly what its float32
     * copy would.
     */
    public static BaseDType baseDtype(String value, Path modelDir, boolean frozenBase) {
        if (value == null || value.equals("auto")) return BaseDType.auto(checkpointDtype(modelDir), frozenBase);
        BaseDType t = BaseDType.parse(value);
        if (t == null) throw UserError.of("--base_dtype", "'" + value + "' is not a storage type", "pass one of " + BaseDType.choices());
        return t;
    }

    /**
     * The float type of a model folder's weights, as {@link dev.emo.lowbit.BaseDType#auto} takes it, read
     * from the headers before any graph is built: "BF16", "F16" or "F32" for a safetensors checkpoint (the
     * type holding most of its matrix values), null for an ONNX export (float32). A folder of adapters
     * only answers for the base it names.
     */
    public static String checkpointDtype(Path modelDir) {
        if (!hasOnnx(modelDir) && !SafetensorsCheckpoint.present(modelDir) && PeftAdapter.present(modelDir)) {
            Path base = Path.of(PeftAdapter.read(modelDir).baseModel());
            return java.nio.file.Files.isDirectory(base) ? checkpointDtype(base) : null;
        }
        return !hasOnnx(modelDir) && SafetensorsCheckpoint.present(modelDir) ? SafetensorsCheckpoint.dominantDtype(modelDir) : null;
    }

    /**
     * A base model with a PEFT adapter, for inference: the adapters merged into the base weights of a
     * plain (or KV-cache) graph, so sampling costs what the base model costs.
     */
    public static Loaded loadWithAdapter(Path modelDir, Path adapterDir, boolean kvCache) {
        return loadWithAdapter(modelDir, adapterDir, kvCache, false);
    }

    /** @param allowOtherBase apply an adapter that records another base's weights hash (refused otherwise) */
    public static Loaded loadWithAdapter(Path modelDir, Path adapterDir, boolean kvCache, boolean allowOtherBase) {
        return loadWithAdapter(modelDir, adapterDir, kvCache, allowOtherBase, BaseDType.FLOAT32);
    }

    /**
     * With a packed base ({@code --base_dtype} other than float32) the adapters stay a side path of the
     * (KV-cache) graph they are loaded into: merging them would need the base in float32.
     */
    public static Loaded loadWithAdapter(Path modelDir, Path adapterDir, boolean kvCache, boolean allowOtherBase, BaseDType base) {
        if (adapterDir == null) return load(modelDir, new GraphOptions(kvCache, null, base));
        PeftAdapter.Adapter adapter = PeftAdapter.read(adapterDir);
        Loaded lora = load(modelDir, new GraphOptions(base.packed() && kvCache, adapter.spec(), base));
        PeftAdapter.requireBase(adapter, adapterDir, modelDir, lora.source().file(), allowOtherBase);
        if (lora.model().loraParams().isEmpty()) {
            throw UserError.of(adapterDir.resolve(PeftAdapter.CONFIG), "target_modules " + adapter.spec().targetModules()
                    + " match no layer of this " + lora.model().config().modelType() + " model", "use the adapter trained on this base model");
        }
        PeftAdapter.load(lora.model(), adapter, adapterDir);
        if (base.packed()) return lora;
        CausalLM merged = build(lora.model().config(), kvCache);
        merged.loadWeights(lora.model().mergedWeights(), lora.source().file());
        return new Loaded(merged, lora.source());
    }

    private static boolean hasOnnx(Path dir) {
        return OnnxFiles.CANDIDATES.stream().anyMatch(n -> java.nio.file.Files.isRegularFile(dir.resolve(n)));
    }

    /**
     * A KV-cache graph holding the same weights as {@code model} (copied, so training may go on; LoRA
     * adapters merged, or on a packed base kept as a side path, the packed projections shared).
     */
    public static CausalLM withKvCache(CausalLM model) {
        if (model.baseDtype().packed()) {
            CausalLM cached = build(model.config(), new GraphOptions(true, model.lora(), model.baseDtype()));
            cached.copyWeightsFrom(model);
            return cached;
        }
        CausalLM cached = build(model.config(), true);
        cached.loadWeights(model.mergedWeights(), model.weightsSource());   // adapters, if any, merged in
        return cached;
    }
}

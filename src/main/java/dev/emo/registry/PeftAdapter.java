package dev.emo.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.emo.UserError;
import dev.emo.models.CausalLM;
import dev.emo.models.LoraSpec;
import dev.emo.safetensors.SafeTensors;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LoRA adapters in PEFT's files, as {@code PeftModel.from_pretrained} loads them:
 * {@code adapter_config.json} (peft_type LORA, r, lora_alpha, lora_dropout, target_modules,
 * fan_in_fan_out, bias "none", task_type CAUSAL_LM, base_model_name_or_path) and
 * {@code adapter_model.safetensors} with keys {@code base_model.model.<module>.lora_A.weight} [r, in]
 * and {@code ….lora_B.weight} [out, r].
 */
public final class PeftAdapter {
    public static final String CONFIG = "adapter_config.json", WEIGHTS = "adapter_model.safetensors";
    static final String PREFIX = "base_model.model.";
    /** Our addition to PEFT's config: the SHA-256 of the base weights file the adapter was trained on. */
    public static final String BASE_SHA256 = "emo_base_weights_sha256";

    private PeftAdapter() {}

    public static boolean present(Path dir) {
        return Files.isRegularFile(dir.resolve(CONFIG)) && Files.isRegularFile(dir.resolve(WEIGHTS));
    }

    /**
     * Writes the model's adapters into {@code dir} (created if needed), naming the base as PEFT does
     * ({@code base_model_name_or_path}) and by the hash of its weights, which {@link #requireBase} checks.
     */
    public static void write(CausalLM model, String baseModel, String baseSha256, Path dir) throws IOException {
        LoraSpec spec = model.lora();
        if (spec == null) throw new IllegalStateException("the model has no LoRA adapters");
        Files.createDirectories(dir);
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("peft_type", "LORA");
        config.put("task_type", "CAUSAL_LM");
        config.put("base_model_name_or_path", baseModel);
        config.put(BASE_SHA256, baseSha256);
        config.put("r", spec.r());
        config.put("lora_alpha", spec.alpha());
        config.put("lora_dropout", spec.dropout());
        config.put("target_modules", spec.targetModules());
        config.put("fan_in_fan_out", ModelFamilies.of(model.config()).loraFanInFanOut());
        config.put("bias", "none");
        config.put("modules_to_save", null);
        config.put("inference_mode", true);
        config.put("init_lora_weights", true);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve(CONFIG).toFile(), config);
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        model.loraParams().forEach((name, v) -> tensors.put(PREFIX + name, v.getArr()));
        SafeTensors.write(dir.resolve(WEIGHTS), tensors, Map.of("format", "pt"));
    }

    /** An adapter folder: its spec and weights (by the graph's names, "<module>.lora_A.weight"), checked. */
    /** @param baseSha256 the base weights' hash ("" for an adapter PEFT wrote, which records none) */
    public record Adapter(LoraSpec spec, Map<String, INDArray> weights, String baseModel, String baseSha256) {}

    public static Adapter read(Path dir) {
        Path cfg = dir.resolve(CONFIG);
        if (!present(dir)) throw UserError.of(dir, "is not a PEFT adapter folder (no " + CONFIG + " + " + WEIGHTS + ")", "pass the best/ folder of a LoRA run, or a PEFT save_pretrained folder");
        JsonNode j;
        try {
            j = new ObjectMapper().readTree(cfg.toFile());
        } catch (IOException e) {
            throw UserError.of(cfg, "is not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")", "re-save the adapter");
        }
        if (!"LORA".equals(j.path("peft_type").asText())) throw UserError.of(cfg, "peft_type is '" + j.path("peft_type").asText() + "'", "only LORA adapters are supported");
        if (!"none".equals(j.path("bias").asText("none"))) throw UserError.of(cfg, "bias is '" + j.path("bias").asText() + "'", "only bias \"none\" is supported");
        List<String> targets = new ArrayList<>();
        JsonNode t = j.path("target_modules");
        if (t.isTextual()) targets.add(t.asText());
        else t.forEach(x -> targets.add(x.asText()));
        LoraSpec spec;
        try {
            spec = new LoraSpec(j.path("r").asInt(0), j.path("lora_alpha").asDouble(0), j.path("lora_dropout").asDouble(0), targets);
        } catch (UserError e) {
            throw UserError.of(cfg, e.getMessage(), "fix or re-save the adapter");
        }
        Map<String, INDArray> weights = new LinkedHashMap<>();
        for (var e : SafeTensors.read(dir.resolve(WEIGHTS)).entrySet()) {
            String key = e.getKey().startsWith(PREFIX) ? e.getKey().substring(PREFIX.length()) : e.getKey();
            key = key.replace(".lora_A.default.weight", ".lora_A.weight").replace(".lora_B.default.weight", ".lora_B.weight");
            requireFinite(dir.resolve(WEIGHTS), e.getKey(), e.getValue());
            weights.put(key, e.getValue());
        }
        return new Adapter(spec, weights, j.path("base_model_name_or_path").asText(""), j.path(BASE_SHA256).asText(""));
    }

    /** NaN or infinite weights would turn every logit into NaN, silently: refused at load (adapters and models alike). */
    public static void requireFinite(Path file, String name, INDArray w) {
        if (w.dataType().isFPType() && (org.nd4j.linalg.indexing.BooleanIndexing.or(w, org.nd4j.linalg.indexing.conditions.Conditions.isNan())
                || org.nd4j.linalg.indexing.BooleanIndexing.or(w, org.nd4j.linalg.indexing.conditions.Conditions.isInfinite()))) {
            throw dev.emo.weights.StoredTensors.nonFinite(file, name);
        }
    }

    /**
     * An adapter trained on another base with the same shapes would apply silently and mean nothing: the
     * base's weights must hash to what the adapter records, unless the user says otherwise.
     */
    public static void requireBase(Adapter adapter, Path adapterDir, Path baseDir, Path baseWeights, boolean allowOtherBase) {
        if (allowOtherBase || adapter.baseSha256().isEmpty()) return;
        String have = dev.emo.util.Hashes.sha256(baseWeights);
        if (!have.equals(adapter.baseSha256())) {
            throw UserError.of(adapterDir.resolve(CONFIG), "was trained on another base (" + adapter.baseModel() + ", weights sha256 "
                    + adapter.baseSha256().substring(0, Math.min(12, adapter.baseSha256().length())) + "…), not " + baseDir + " (sha256 "
                    + have.substring(0, 12) + "…)", "pass that base with --model, or --allow_other_base to apply it anyway");
        }
    }

    /** Puts an adapter's weights into a LoRA graph built with its spec; every adapter of the graph must be there, with its shape. */
    public static void load(CausalLM model, Adapter adapter, Path dir) {
        for (var e : model.loraParams().entrySet()) {
            INDArray w = adapter.weights().get(e.getKey());
            if (w == null || !java.util.Arrays.equals(w.shape(), e.getValue().getArr().shape())) {
                throw UserError.of(dir.resolve(WEIGHTS), (w == null ? "has no " : "has the wrong shape for ") + PREFIX + e.getKey()
                        + (w == null ? "" : " (" + java.util.Arrays.toString(w.shape()) + ", the model needs " + java.util.Arrays.toString(e.getValue().getArr().shape()) + ")"),
                        "use the adapter trained on this base model");
            }
            e.getValue().getArr().assign(w);
        }
        if (adapter.weights().size() != model.loraParams().size()) {
            List<String> extra = new ArrayList<>(adapter.weights().keySet());
            extra.removeAll(model.loraParams().keySet());
            throw UserError.of(dir.resolve(WEIGHTS), "holds adapters for modules this model lacks: " + extra.subList(0, Math.min(3, extra.size())),
                    "use the adapter trained on this base model");
        }
    }
}

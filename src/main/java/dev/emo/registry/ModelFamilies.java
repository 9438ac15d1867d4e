package dev.emo.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.UserError;
import dev.emo.models.ModelConfig;
import dev.emo.models.ModelFamily;
import dev.emo.models.gpt2.Gpt2Family;
import dev.emo.models.llama.LlamaFamily;
import dev.emo.models.mistral.MistralFamily;
import dev.emo.models.opt.OptFamily;
import dev.emo.models.qwen2.Qwen2Family;
import dev.emo.models.qwen3.Qwen3Family;
import dev.emo.tokenizers.Tokenizer;
import dev.emo.tokenizers.Tokenizers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The model families this application knows: the one place that lists them. Everything that
 * depends on the family (config names, graph, tokenizer conventions, which weights decay and which
 * are norms, benchmark sizes) is asked of the family found here by config.json's model_type.
 */
public final class ModelFamilies {
    /** Adding a family: its package under models/, and one line here. */
    public static final List<ModelFamily> ALL = List.of(new Gpt2Family(), new OptFamily(), new LlamaFamily(), new Qwen2Family(),
            new Qwen3Family(), new MistralFamily());

    private ModelFamilies() {}

    public static List<String> modelTypes() {
        return ALL.stream().map(ModelFamily::modelType).toList();
    }

    /** The family of a model_type; an unknown one is a one-line error naming the file. */
    public static ModelFamily of(String modelType, Object file) {
        for (ModelFamily f : ALL) if (f.modelType().equals(modelType)) return f;
        throw UserError.of(file, "unknown model_type '" + modelType + "'",
                "supported: " + String.join(", ", modelTypes()) + " (export one of those architectures)");
    }

    public static ModelFamily of(ModelConfig config) {
        return of(config.modelType(), config.file());
    }

    /** config.json of an exported model folder, read by its family and checked. */
    public static ModelConfig config(Path modelDir) {
        Path file = modelDir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw UserError.of(file, "missing", "copy config.json from the Hugging Face model repo next to the ONNX file");
        }
        JsonNode j;
        try {
            j = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw UserError.of(file, "is not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")", "restore the file from the model repo");
        }
        String type = ModelConfig.text(j, "model_type", null);
        if (type == null) throw UserError.of(file, "has no model_type", "add \"model_type\": one of " + modelTypes());
        return of(type, file).config(j, file).validate();
    }

    /** The tokenizer of an exported model folder, with its family's conventions (OPT's leading &lt;/s&gt;, LLaMA's BOS …). */
    public static Tokenizer tokenizer(Path modelDir) {
        String conventions = Files.isRegularFile(modelDir.resolve("config.json"))
                ? of(config(modelDir)).tokenizerConventions() : null;
        return Tokenizers.load(modelDir, conventions);
    }
}

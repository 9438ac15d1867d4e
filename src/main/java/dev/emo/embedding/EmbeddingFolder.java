package dev.emo.embedding;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.UserError;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a sentence-transformers ONNX export folder says about running it, read the way
 * sentence-transformers reads it: {@code model.onnx} (or {@code onnx/model.onnx}, the Xenova
 * layout), {@code tokenizer.json}; pooling from the Pooling module's {@code config.json} (its path
 * from {@code modules.json}, else {@code 1_Pooling/}; mean if absent); max length from
 * {@code sentence_bert_config.json} max_seq_length, else min(config.json max_position_embeddings,
 * tokenizer_config.json model_max_length); do_lower_case from sentence_bert_config.json.
 * {@code positions} is config.json's max_position_embeddings, {@code Integer.MAX_VALUE} where absent.
 */
record EmbeddingFolder(Path onnx, Path tokenizerJson, Pooling pooling, int maxLength, int positions, boolean lowercaseInput) {
    private static final Logger LOG = LogManager.getLogger(EmbeddingFolder.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** BERT's position table; used only when no file states a length */
    static final int FALLBACK_MAX_LENGTH = 512;
    private static final String REEXPORT = "export the model again with optimum-cli (sentence-transformers library) or copy the folder from the hub";

    static EmbeddingFolder read(Path dir) {
        if (dir == null || !Files.isDirectory(dir))
            throw UserError.of(dir, "not a folder", "pass a sentence-transformers ONNX export folder (model.onnx + tokenizer.json)");
        Path onnx = dir.resolve("model.onnx");
        if (!Files.isRegularFile(onnx)) onnx = dir.resolve("onnx").resolve("model.onnx");
        if (!Files.isRegularFile(onnx)) throw UserError.of(dir, "no model.onnx (nor onnx/model.onnx)", REEXPORT);
        Path tok = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tok))
            throw UserError.of(dir, "no tokenizer.json", "save it beside model.onnx (AutoTokenizer.from_pretrained(repo).save_pretrained(dir))");

        JsonNode stConfig = readIfPresent(dir.resolve("sentence_bert_config.json"));
        JsonNode config = readIfPresent(dir.resolve("config.json"));
        JsonNode tokConfig = readIfPresent(dir.resolve("tokenizer_config.json"));

        Path poolingConfig = dir.resolve(poolingModulePath(dir)).resolve("config.json");
        JsonNode poolingJson = readIfPresent(poolingConfig);
        Pooling pooling = poolingJson == null ? Pooling.MEAN : Pooling.fromConfig(poolingJson, poolingConfig);

        int positions = positiveInt(config, "max_position_embeddings", Integer.MAX_VALUE);
        int max = positiveInt(stConfig, "max_seq_length", -1);
        if (max < 0) max = Math.min(positions, positiveInt(tokConfig, "model_max_length", Integer.MAX_VALUE));
        if (max == Integer.MAX_VALUE) {
            LOG.warn("{}: no max_seq_length, max_position_embeddings or model_max_length; truncating at {}", dir, FALLBACK_MAX_LENGTH);
            max = FALLBACK_MAX_LENGTH;
        }
        max = Math.min(max, positions); // beyond the position table the model cannot run
        boolean lower = stConfig != null && stConfig.path("do_lower_case").asBoolean(false);
        return new EmbeddingFolder(onnx, tok, pooling, max, positions, lower);
    }

    /** The Pooling module's folder as modules.json names it, else sentence-transformers' usual 1_Pooling. */
    private static String poolingModulePath(Path dir) {
        JsonNode modules = readIfPresent(dir.resolve("modules.json"));
        if (modules != null) {
            for (JsonNode m : modules) {
                if (m.path("type").asText().endsWith(".Pooling") && m.hasNonNull("path")) return m.get("path").asText();
            }
        }
        return "1_Pooling";
    }

    /** A positive integer field; tokenizer_config.json writes 1e30 for "no limit", which counts as absent. */
    private static int positiveInt(JsonNode node, String field, int dflt) {
        if (node == null || !node.path(field).isNumber()) return dflt;
        double v = node.get(field).asDouble();
        return v >= 1 && v < Integer.MAX_VALUE ? (int) v : dflt;
    }

    private static JsonNode readIfPresent(Path file) {
        if (!Files.isRegularFile(file)) return null;
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw UserError.of(file, "not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")", REEXPORT);
        }
    }
}

package dev.emo.evaluation;

import dev.emo.UserError;
import dev.emo.embedding.SentenceEmbedder;
import dev.emo.embedding.TextEmbedder;
import dev.emo.models.CausalLM;
import dev.emo.registry.Models;
import dev.emo.tokenizers.Tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;

/** Builds the MAUVE featurizer (texts → feature rows) a {@code --featurizer} value names. */
public final class Featurizers {
    private Featurizers() {}

    /**
     * spec: "sentence" (all-MiniLM-L6-v2), "sentence:DIR" (a sentence-transformers ONNX export),
     * "self" (the evaluated model, given as {@code self}/{@code selfTokenizer}) or a causal-LM folder.
     */
    public static TextEmbedder create(String spec, CausalLM self, Tokenizer selfTokenizer, String selfName, int maxLength, int batchSize) {
        if (spec.equals("sentence")) return SentenceEmbedder.defaultModel().setBatchSize(batchSize);
        if (spec.startsWith("sentence:")) {
            return SentenceEmbedder.fromFolder(Path.of(spec.substring("sentence:".length()))).setBatchSize(batchSize);
        }
        if (spec.equals("self")) return new ModelFeaturizer(self, selfTokenizer, selfName, maxLength, batchSize);
        Path dir = Path.of(spec);
        if (!Files.isDirectory(dir)) {
            throw UserError.of(dir, "featurizer model folder not found", "pass --featurizer sentence, self, sentence:DIR or an exported model folder");
        }
        return new ModelFeaturizer(Models.load(dir).model(), dev.emo.registry.ModelFamilies.tokenizer(dir), dir.getFileName().toString(), maxLength, batchSize);
    }
}

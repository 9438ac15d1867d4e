package dev.emo.evaluation;

import dev.emo.UserError;
import dev.emo.embedding.SentenceEmbedder;
import dev.emo.models.CausalLM;
import dev.emo.models.Models;
import dev.emo.tokenizers.Tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Builds the MAUVE featurizer a {@code --featurizer} value names. */
public final class Featurizers {
    private Featurizers() {}

    /**
     * spec: "sentence" (all-MiniLM-L6-v2), "sentence:DIR" (a sentence-transformers ONNX export),
     * "self" (the evaluated model, given as {@code self}/{@code selfTokenizer}) or a causal-LM folder.
     */
    public static Featurizer create(String spec, CausalLM self, Tokenizer selfTokenizer, String selfName, int maxLength, int batchSize) {
        if (spec.equals("sentence")) return sentence(SentenceEmbedder.defaultModel());
        if (spec.startsWith("sentence:")) return sentence(SentenceEmbedder.fromFolder(Path.of(spec.substring("sentence:".length()))));
        if (spec.equals("self")) return new ModelFeaturizer(self, selfTokenizer, selfName, maxLength, batchSize);
        Path dir = Path.of(spec);
        if (!Files.isDirectory(dir)) {
            throw UserError.of(dir, "featurizer model folder not found", "pass --featurizer sentence, self, sentence:DIR or an exported model folder");
        }
        return new ModelFeaturizer(Models.load(dir).model(), Tokenizer.load(dir), dir.getFileName().toString(), maxLength, batchSize);
    }

    private static Featurizer sentence(SentenceEmbedder embedder) {
        return new Featurizer() {
            @Override
            public String name() {
                return embedder.name() + " sentence embedding";     // e.g. "all-MiniLM-L6-v2 sentence embedding"
            }

            @Override
            public float[][] features(List<String> texts) {
                return embedder.embed(texts);
            }

            @Override
            public void close() {
                embedder.close();
            }
        };
    }
}

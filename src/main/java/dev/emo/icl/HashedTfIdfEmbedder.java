package dev.emo.icl;

import dev.emo.embedding.TextEmbedder;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A lexical stand-in for the dense sentence embedder ({@code --retriever tfidf}): TF-IDF over
 * lower-cased words (sublinear tf, smoothed idf from the texts of the call), feature-hashed with a
 * random sign into {@link #DIM} columns and L2-normalised, so cosine similarity approximates TF-IDF
 * cosine. Pure Java and offline; not what the paper used.
 */
public final class HashedTfIdfEmbedder implements TextEmbedder {
    static final int BITS = 11, DIM = 1 << BITS;

    @Override
    public float[][] embed(List<String> texts) {
        List<Map<String, Integer>> counts = texts.stream().map(HashedTfIdfEmbedder::wordCounts).toList();
        Map<String, Integer> df = new HashMap<>();
        for (Map<String, Integer> c : counts) for (String w : c.keySet()) df.merge(w, 1, Integer::sum);
        float[][] rows = new float[texts.size()][DIM];
        for (int i = 0; i < rows.length; i++) {
            double norm = 0;
            for (Map.Entry<String, Integer> e : counts.get(i).entrySet()) {
                double idf = Math.log((1.0 + texts.size()) / (1.0 + df.get(e.getKey()))) + 1;
                double w = (1 + Math.log(e.getValue())) * idf;
                int h = e.getKey().hashCode() * 0x9E3779B1; // Fibonacci hashing: the product's top bits are well mixed
                rows[i][h >>> (32 - BITS)] += (float) (((h >>> (31 - BITS)) & 1) == 0 ? w : -w);
            }
            for (float v : rows[i]) norm += v * v;
            if (norm > 0) for (int j = 0; j < DIM; j++) rows[i][j] /= (float) Math.sqrt(norm);
        }
        return rows;
    }

    private static Map<String, Integer> wordCounts(String text) {
        Map<String, Integer> c = new HashMap<>();
        for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (!w.isEmpty()) c.merge(w, 1, Integer::sum);
        }
        return c;
    }
}

package dev.emo.icl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * OpenICL's TopkRetriever: for each test input, the k pool examples whose embeddings have the
 * highest cosine similarity to it, most similar first (ties: lower pool index first).
 */
public final class Retriever {
    private Retriever() {}

    /**
     * The pool indices of each query's k nearest neighbours. Pool and queries are embedded in one
     * call, so an embedder that fits statistics on its input (TF-IDF) sees them together.
     */
    public static int[][] neighbours(TextEmbedder embedder, List<String> pool, List<String> queries, int k) {
        List<String> all = new ArrayList<>(pool);
        all.addAll(queries);
        float[][] rows = embedder.embed(all);
        if (rows.length != all.size()) {
            throw new IllegalStateException("embedder returned " + rows.length + " rows for " + all.size() + " texts");
        }
        float[][] poolRows = Arrays.copyOf(rows, pool.size());
        int[][] out = new int[queries.size()][];
        for (int q = 0; q < queries.size(); q++) out[q] = topK(poolRows, rows[pool.size() + q], k);
        return out;
    }

    /** Indices of the min(k, pool) rows most cosine-similar to {@code query}, most similar first. */
    public static int[] topK(float[][] pool, float[] query, int k) {
        int n = Math.min(k, pool.length);
        int[] best = new int[n];
        double[] score = new double[n];
        Arrays.fill(score, Double.NEGATIVE_INFINITY);
        double qq = dot(query, query);
        for (int i = 0; i < pool.length; i++) {
            double pp = dot(pool[i], pool[i]);
            double cos = pp == 0 || qq == 0 ? 0 : dot(pool[i], query) / Math.sqrt(pp * qq);
            // insert before the first strictly lower score: an equal score stays behind the earlier index
            int at = n;
            while (at > 0 && cos > score[at - 1]) at--;
            if (at == n) continue;
            System.arraycopy(score, at, score, at + 1, n - at - 1);
            System.arraycopy(best, at, best, at + 1, n - at - 1);
            score[at] = cos;
            best[at] = i;
        }
        return best;
    }

    private static double dot(float[] a, float[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("embedding widths differ: " + a.length + " vs " + b.length);
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }
}

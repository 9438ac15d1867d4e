package dev.emo.icl;

import dev.emo.embedding.TextEmbedder;

import dev.emo.embedding.NearestNeighbours;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * OpenICL's TopkRetriever: for each test input, the k pool examples whose embeddings have the
 * highest cosine similarity to it, most similar first (ties: lower pool index first). Rows are
 * scaled to unit length, then ranked by {@link NearestNeighbours}.
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
        for (int i = 0; i < rows.length; i++) rows[i] = unit(rows[i]);    // cosine = dot product of unit rows
        float[][] poolRows = Arrays.copyOf(rows, pool.size());
        float[][] queryRows = Arrays.copyOfRange(rows, pool.size(), rows.length);
        return NearestNeighbours.topK(poolRows, queryRows, k);
    }

    /** Indices of the min(k, pool) rows most cosine-similar to {@code query}, most similar first. */
    public static int[] topK(float[][] pool, float[] query, int k) {
        float[][] unitPool = new float[pool.length][];
        for (int i = 0; i < pool.length; i++) unitPool[i] = unit(pool[i]);
        return NearestNeighbours.topK(unitPool, unit(query), k);
    }

    /** The row scaled to unit length; a zero row stays zero (similarity 0 to everything). */
    private static float[] unit(float[] x) {
        double ss = 0;
        for (float v : x) ss += (double) v * v;
        if (ss == 0) return x.clone();
        float[] out = new float[x.length];
        double inv = 1 / Math.sqrt(ss);
        for (int i = 0; i < x.length; i++) out[i] = (float) (x[i] * inv);
        return out;
    }
}

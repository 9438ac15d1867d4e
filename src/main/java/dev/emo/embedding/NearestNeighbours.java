package dev.emo.embedding;

import java.util.stream.IntStream;

/**
 * Exact k-nearest-neighbour search by cosine similarity over unit-length rows (so cosine is the dot
 * product), as the in-context-learning retriever needs: most similar first, equal scores in
 * ascending pool index, so results are deterministic. A full scan: pools here hold thousands of
 * rows, for which an index would cost more than it saves.
 */
public final class NearestNeighbours {
    private NearestNeighbours() {}

    /** Indices of the min(k, pool.length) pool rows most similar to {@code query}. */
    public static int[] topK(float[][] pool, float[] query, int k) {
        if (k < 0) throw new IllegalArgumentException("k must be >= 0, got " + k);
        int m = Math.min(k, pool.length);
        int[] best = new int[m];
        float[] score = new float[m];
        int filled = 0;
        for (int i = 0; i < pool.length; i++) {
            float s = dot(pool[i], query);
            // strictly greater only: an equal score never displaces the earlier (lower) index
            if (filled == m && (m == 0 || !(s > score[m - 1]))) continue;
            int pos = filled < m ? filled++ : m - 1;
            while (pos > 0 && s > score[pos - 1]) {
                best[pos] = best[pos - 1];
                score[pos] = score[pos - 1];
                pos--;
            }
            best[pos] = i;
            score[pos] = s;
        }
        return best;
    }

    /** {@link #topK(float[][], float[], int)} for each query row, queries spread over the cores. */
    public static int[][] topK(float[][] pool, float[][] queries, int k) {
        return IntStream.range(0, queries.length).parallel().mapToObj(q -> topK(pool, queries[q], k)).toArray(int[][]::new);
    }

    /** Dot product; on unit rows, the cosine similarity. */
    public static float dot(float[] a, float[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("dimension mismatch: " + a.length + " vs " + b.length);
        float s = 0;
        for (int j = 0; j < a.length; j++) s += a[j] * b[j];
        return s;
    }
}

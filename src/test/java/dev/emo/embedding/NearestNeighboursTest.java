package dev.emo.embedding;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link NearestNeighbours}: ordering and ties against a brute-force sort on random and tied rows,
 * edge cases of k; and, with all-MiniLM-L6-v2, the hand-made pool of neighbours.json, where each
 * query's nearest sentence is the expected one. (Topic-level checks are not asserted: measured, the
 * query "How should I train for my first long-distance running race?" finds the marathon sentence
 * first but is on average closer to the instructional recipes than to the news-style sports lines.)
 */
class NearestNeighboursTest {
    /** Brute force: all indices sorted by score descending, then index ascending. */
    private static int[] sortedByScore(float[][] pool, float[] q) {
        return IntStream.range(0, pool.length).boxed()
                .sorted((a, b) -> {
                    int c = Float.compare(NearestNeighbours.dot(pool[b], q), NearestNeighbours.dot(pool[a], q));
                    return c != 0 ? c : Integer.compare(a, b);
                })
                .mapToInt(Integer::intValue).toArray();
    }

    @Test
    void matchesBruteForceIncludingTies() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 50; trial++) {
            int n = 1 + rnd.nextInt(60), d = 1 + rnd.nextInt(8);
            // values from a small set, so many scores tie exactly
            float[][] pool = new float[n][d];
            for (float[] row : pool) for (int j = 0; j < d; j++) row[j] = rnd.nextInt(3) - 1;
            float[] q = new float[d];
            for (int j = 0; j < d; j++) q[j] = rnd.nextInt(3) - 1;
            int[] all = sortedByScore(pool, q);
            for (int k : new int[] {0, 1, 3, 8, n, n + 5}) {
                assertArrayEquals(Arrays.copyOf(all, Math.min(k, n)), NearestNeighbours.topK(pool, q, k), "n=" + n + " k=" + k);
            }
        }
    }

    @Test
    void tiesGoToTheLowerIndex() {
        float[][] pool = {{0, 1}, {1, 0}, {0, 1}, {1, 0}, {0.6f, 0.8f}};
        assertArrayEquals(new int[] {1, 3, 4}, NearestNeighbours.topK(pool, new float[] {1, 0}, 3));
    }

    @Test
    void batchedEqualsOneByOne() {
        Random rnd = new Random(3);
        float[][] pool = new float[200][16], queries = new float[30][16];
        for (float[][] m : new float[][][] {pool, queries}) for (float[] r : m) for (int j = 0; j < 16; j++) r[j] = (float) rnd.nextGaussian();
        int[][] batched = NearestNeighbours.topK(pool, queries, 8);
        for (int q = 0; q < queries.length; q++) assertArrayEquals(NearestNeighbours.topK(pool, queries[q], 8), batched[q]);
    }

    @Test
    void rejectsBadArguments() {
        float[][] pool = {{1, 0}};
        assertThrows(IllegalArgumentException.class, () -> NearestNeighbours.topK(pool, new float[] {1, 0}, -1));
        assertThrows(IllegalArgumentException.class, () -> NearestNeighbours.topK(pool, new float[] {1, 0, 0}, 1));
    }

    @Test
    void handMadePoolFindsTheObviousNeighbours() throws Exception {
        JsonNode root;
        try (InputStream in = MiniLmReference.resource("dev/emo/embedding/neighbours.json")) {
            root = new ObjectMapper().readTree(in);
        }
        List<String> poolTexts = new ArrayList<>();
        root.path("pool").forEach(p -> poolTexts.add(p.get("text").asText()));
        List<JsonNode> queries = new ArrayList<>();
        root.path("queries").forEach(queries::add);
        try (SentenceEmbedder embedder = SentenceEmbedder.defaultModel()) {
            float[][] pool = embedder.embed(poolTexts);
            float[][] q = embedder.embed(queries.stream().map(x -> x.get("text").asText()).toList());
            int[][] top = NearestNeighbours.topK(pool, q, 8); // the retriever's k
            for (int i = 0; i < queries.size(); i++) {
                JsonNode query = queries.get(i);
                assertEquals(8, top[i].length);
                String text = query.get("text").asText();
                assertEquals(query.get("nearest").asInt(), top[i][0], "nearest to: " + text + " " + Arrays.toString(top[i]));
            }
        }
    }
}

package dev.emo.icl;

import dev.emo.embedding.TextEmbedder;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Cosine top-k on a hand-made pool: the neighbours, their order (most similar first) and ties. */
class RetrieverTest {
    /** 2-D directions at known angles from the query (1, 0); lengths differ so only the angle counts. */
    private static final Map<String, float[]> VECTORS = Map.of(
            "east", new float[]{3, 0},            // 0°
            "east-north-east", new float[]{2, 1}, // 26.6°
            "north-east", new float[]{5, 5},      // 45°
            "north", new float[]{0, 1},           // 90°
            "west", new float[]{-1, 0},           // 180°
            "also-north-east", new float[]{1, 1}, // 45°, a tie with north-east
            "query", new float[]{1, 0});

    /** Looks texts up in {@link #VECTORS} and records every call. */
    private static final class FakeEmbedder implements TextEmbedder {
        final List<List<String>> calls = new ArrayList<>();

        @Override
        public float[][] embed(List<String> texts) {
            calls.add(texts);
            return texts.stream().map(VECTORS::get).toArray(float[][]::new);
        }
    }

    @Test
    void nearestFirstTiesByLowerIndex() {
        List<String> pool = List.of("west", "north-east", "north", "east-north-east", "also-north-east", "east");
        FakeEmbedder fake = new FakeEmbedder();
        int[][] near = Retriever.neighbours(fake, pool, List.of("query"), 4);
        // east (5), east-north-east (3), then the 45° tie: north-east (1) before also-north-east (4)
        assertArrayEquals(new int[]{5, 3, 1, 4}, near[0]);
        assertEquals(1, fake.calls.size(), "pool and queries are embedded in one call");
        assertEquals(pool.size() + 1, fake.calls.get(0).size());
    }

    @Test
    void kLargerThanThePoolReturnsTheWholePoolRanked() {
        float[][] pool = {VECTORS.get("north"), VECTORS.get("west"), VECTORS.get("east")};
        assertArrayEquals(new int[]{2, 0, 1}, Retriever.topK(pool, VECTORS.get("query"), 8));
    }

    @Test
    void tfidfRanksTheTextSharingRareWordsFirst() {
        List<String> pool = List.of("the cat sat on the mat", "the stock market fell sharply today", "a dog sat on the porch");
        int[][] near = Retriever.neighbours(new HashedTfIdfEmbedder(), pool, List.of("stock market news today"), 3);
        assertEquals(1, near[0][0]);
        float[][] rows = new HashedTfIdfEmbedder().embed(pool);
        for (float[] r : rows) {
            double norm = 0;
            for (float v : r) norm += v * v;
            assertEquals(1.0, norm, 1e-5, "unit rows");
        }
        assertTrue(near[0].length == 3);
    }
}

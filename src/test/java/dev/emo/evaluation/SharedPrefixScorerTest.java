package dev.emo.evaluation;

import dev.emo.Fixtures;
import dev.emo.models.CausalLM;
import dev.emo.registry.Models;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Scoring a group's shared prefix once (KV cache) gives the per-token NLLs of scoring each sequence whole. */
class SharedPrefixScorerTest {
    @TestFactory
    Stream<DynamicTest> sameAsWholeSequenceScoring() {
        return Fixtures.allModels().stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> check(dir)));
    }

    private static void check(Path dir) {
        CausalLM plain = Models.load(dir).model();
        CausalLM cached = Models.withKvCache(plain);
        Random rng = new Random(5);
        int v = plain.config().vocabSize();
        List<int[][]> groups = new ArrayList<>();
        int[][] shapes = {{9, 2}, {4, 3}, {15, 6}, {1, 2}};     // {prefix length, members}
        for (int[] shape : shapes) {
            int[] prefix = rng.ints(shape[0], 0, v).toArray();
            int[][] group = new int[shape[1]][];
            for (int m = 0; m < shape[1]; m++) {
                int[] own = rng.ints(1 + rng.nextInt(4), 0, v).toArray();
                own[0] = (prefix.length + m * 7919) % v;          // members differ right after the prefix
                group[m] = concat(prefix, own);
            }
            groups.add(group);
        }
        groups.add(new int[][]{rng.ints(5, 0, v).toArray(), rng.ints(3, 0, v).toArray()}); // nothing shared (first ids differ w.p. ≈ 1)
        List<int[]> flat = new ArrayList<>();
        groups.forEach(g -> flat.addAll(Arrays.asList(g)));
        double[][] whole = SequenceScorer.tokenNll(plain, flat, 4);
        double[][] shared = SharedPrefixScorer.tokenNll(cached, groups, 2);
        assertEquals(whole.length, shared.length);
        double worst = 0;
        for (int i = 0; i < whole.length; i++) {
            assertEquals(whole[i].length, shared[i].length, "sequence " + i);
            for (int t = 0; t < whole[i].length; t++) worst = Math.max(worst, Math.abs(whole[i][t] - shared[i][t]));
        }
        System.out.printf("[shared-prefix] %s: max |Δnll| vs whole sequences %.2e%n", dir.getFileName(), worst);
        assertEquals(0, worst, 2e-5);
    }

    @Test
    void prefixLeavesEveryMemberAToken() {
        assertEquals(3, SharedPrefixScorer.prefixLength(new int[][]{{1, 2, 3, 4}, {1, 2, 3, 5, 6}}));
        assertEquals(2, SharedPrefixScorer.prefixLength(new int[][]{{1, 2, 3}, {1, 2, 3, 5}}));   // identical start: keep one own token
        assertEquals(0, SharedPrefixScorer.prefixLength(new int[][]{{1, 2}, {7, 8}}));          // nothing shared
        assertEquals(2, SharedPrefixScorer.prefixLength(new int[][]{{1, 2, 3}}));               // alone: all but the last token
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}

package dev.emo.generation;

import dev.emo.Fixtures;
import dev.emo.models.CausalLM;
import dev.emo.models.KvCache;
import dev.emo.registry.Models;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The KV-cache graph computes what the plain graph computes: the same logits position by position,
 * and the same continuations (greedy and seeded sampling) for a left-padded batch of prompts of
 * different lengths, for every fixture model.
 */
@org.junit.jupiter.api.Tag("slow")   // left out of ./run.sh test --fast
class KvCacheTest {
    @TestFactory
    Stream<DynamicTest> cachedMatchesUncached() {
        return Fixtures.allModels().stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> check(dir)));
    }

    private static void check(Path dir) {
        CausalLM plain = Models.load(dir).model();
        CausalLM cached = Models.withKvCache(plain);
        int v = plain.config().vocabSize();

        // 1. One token at a time against the cache equals one pass over the whole sequence.
        int t = 9;
        INDArray ids = Nd4j.createFromArray(randomIds(new Random(7), t, v)).castTo(org.nd4j.linalg.api.buffer.DataType.INT64).reshape(1, t);
        INDArray mask = Nd4j.ones(org.nd4j.linalg.api.buffer.DataType.INT64, 1, t);
        INDArray full = plain.forward(ids, mask);                       // [1, T, V]
        KvCache cache = cached.emptyCache(1);
        double worst = 0;
        for (int j = 0; j < t; j++) {
            KvCache.Step step = cached.forwardCached(ids.get(NDArrayIndex.all(), NDArrayIndex.interval(j, j + 1)),
                    mask.get(NDArrayIndex.all(), NDArrayIndex.interval(0, j + 1)), cache);
            INDArray expected = full.get(NDArrayIndex.point(0), NDArrayIndex.point(j), NDArrayIndex.all());
            worst = Math.max(worst, step.logits().reshape(v).sub(expected).amaxNumber().doubleValue());
            cache = step.cache();
            assertEquals(j + 1, cache.length());
        }
        System.out.printf("[kv-cache] %s: max |Δlogit| stepwise vs full pass %.2e%n", dir.getFileName(), worst);
        assertTrue(worst < 1e-4, "stepwise logits differ from the full pass by " + worst);

        // 2. Batched, left-padded prompts of different lengths: identical continuations.
        Random rng = new Random(11);
        List<int[]> prompts = new ArrayList<>();
        for (int len : new int[]{5, 1, 11}) prompts.add(randomIds(rng, len, v));   // 11: longer than tiny-mistral's window of 8
        for (Sampling s : List.of(Sampling.GREEDY, Sampling.ANCESTRAL, new Sampling(false, 0.8, 20, 0.9))) {
            Generator.Options o = new Generator.Options(12, s, 3, -1, 3);
            List<Generator.Output> a = new Generator(plain).generate(prompts, o);
            List<Generator.Output> b = new Generator(cached).generate(prompts, o);
            List<Generator.Output> single = new Generator(cached).generate(prompts, new Generator.Options(12, s, 3, -1, 1));
            for (int i = 0; i < prompts.size(); i++) {
                assertArrayEquals(a.get(i).ids(), b.get(i).ids(), s + " prompt " + i + ": cache changes the tokens");
                assertArrayEquals(a.get(i).ids(), single.get(i).ids(), s + " prompt " + i + ": batching changes the tokens");
                for (int j = 0; j < a.get(i).ids().length; j++) {
                    assertEquals(a.get(i).logProbs()[j], b.get(i).logProbs()[j], 1e-4, "log-prob " + j);
                }
            }
        }
    }

    private static int[] randomIds(Random rng, int n, int vocab) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = rng.nextInt(vocab);
        return ids;
    }

    @TestFactory
    Stream<DynamicTest> cachedGreedyMatchesReference() {
        return Fixtures.modelsWith("greedy.json").stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(),
                () -> GreedyReferenceTest.check(dir, Models.withKvCache(Models.load(dir).model()))));
    }
}

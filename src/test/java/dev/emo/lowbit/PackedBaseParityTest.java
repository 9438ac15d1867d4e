package dev.emo.lowbit;

import dev.emo.Fixtures;
import dev.emo.models.CausalLM;
import dev.emo.models.GraphOptions;
import dev.emo.models.KvCache;
import dev.emo.registry.Models;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A base whose projections are kept packed computes, on every fixture, exactly what the float32 graph
 * computes on the same stored values: bfloat16 and float16 to 1e-5 (the weights are the rounded ones;
 * only sgemm's blocking differs), Q8_0 likewise on its dequantised values; and against the original
 * float32 weights Q8_0's error is measured and bounded. The KV-cache decoder on a packed base gives
 * the uncached logits.
 */
class PackedBaseParityTest {
    /**
     * Q8_0 vs the unquantised model, max |Δlogit| / max |logit|, measured: 1.6e-3–7.5e-3 on the random
     * fixtures and 1.8e-2 on stories260k (trained weights, d = 64: few blocks per row, outliers set the scale).
     */
    static final double Q8_0_RELATIVE = 3e-2;

    static INDArray[] batch(int vocab) {
        long[][] ids = new long[2][12], mask = new long[2][12];
        Random r = new Random(5);
        for (int b = 0; b < 2; b++) {
            for (int t = 0; t < 12; t++) {
                ids[b][t] = r.nextInt(vocab);
                mask[b][t] = b == 1 && t >= 9 ? 0 : 1;
            }
        }
        return new INDArray[]{Nd4j.createFromArray(ids), Nd4j.createFromArray(mask)};
    }

    /** The weights with every packed projection replaced by its stored (rounded or dequantised) values. */
    static Map<String, INDArray> stored(Map<String, INDArray> weights, CausalLM packed) {
        Map<String, INDArray> out = new LinkedHashMap<>(weights);
        packed.frozenWeights().forEach((name, w) -> out.put(name, PackedMatrix.of(weights.get(name), w.dtype()).toFloat()));
        return out;
    }

    @TestFactory
    Stream<DynamicTest> logitsAreTheFloatGraphsOnTheStoredValues() {
        return Fixtures.allModels().stream().flatMap(dir -> Stream.of(BaseDType.BFLOAT16, BaseDType.FLOAT16, BaseDType.Q8_0).map(t ->
                DynamicTest.dynamicTest(dir.getFileName() + " " + t.flag(), () -> check(dir, t))));
    }

    private static void check(Path dir, BaseDType t) {
        Models.Loaded original = Models.load(dir);
        Map<String, INDArray> weights = original.model().weights();
        CausalLM packed = Models.build(original.model().config(), new GraphOptions(false, null, t));
        packed.loadWeights(weights, dir);
        assertFalse(packed.frozenWeights().isEmpty(), "projections are packed");
        assertTrue(packed.frozenWeights().keySet().stream().noneMatch(packed.params()::containsKey), "and are not float variables too");
        CausalLM reference = Models.build(original.model().config(), false);
        reference.loadWeights(stored(weights, packed), dir);

        INDArray[] b = batch(packed.config().vocabSize());
        INDArray got = packed.forward(b[0], b[1]), want = reference.forward(b[0], b[1]);
        double diff = got.sub(want).amaxNumber().doubleValue();
        assertTrue(diff <= 1e-5, t.flag() + ": max |Δlogit| vs the float32 graph on the stored values " + diff);
        INDArray unrounded = original.model().forward(b[0], b[1]);
        double drift = got.sub(unrounded).amaxNumber().doubleValue() / unrounded.amaxNumber().doubleValue();
        System.out.printf("[packed] %-22s %-8s vs float graph on stored values %.1e; vs the float32 weights %.1e of the largest logit%n",
                dir.getFileName(), t.flag(), diff, drift);
        assertTrue(drift > 0, "the stored values differ from float32 (else this test compares nothing)");
        if (t == BaseDType.Q8_0) assertTrue(drift <= Q8_0_RELATIVE, "q8_0 vs float32 weights: " + drift);
    }

    @TestFactory
    Stream<DynamicTest> kvCacheDecodingOnAPackedBase() {
        return Stream.of("stories260k", "tiny-gpt2", "tiny-qwen3").map(name -> DynamicTest.dynamicTest(name, () -> {
            Path dir = Fixtures.model(name);
            Map<String, INDArray> weights = Models.load(dir).model().weights();
            CausalLM plain = Models.build(Models.load(dir).model().config(), new GraphOptions(false, null, BaseDType.BFLOAT16));
            CausalLM cached = Models.build(plain.config(), new GraphOptions(true, null, BaseDType.BFLOAT16));
            plain.loadWeights(weights, dir);
            cached.loadWeights(weights, dir);
            INDArray[] b = batch(plain.config().vocabSize());
            INDArray ids = b[0].get(NDArrayIndex.interval(0, 1), NDArrayIndex.all()), mask = Nd4j.ones(ids.dataType(), 1, 12);
            INDArray full = plain.forward(ids, mask).reshape(12, -1);       // [12, V]
            KvCache.Step first = cached.forwardCached(ids.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 8)),
                    mask.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 8)), cached.emptyCache(1));
            KvCache past = first.cache();
            double worst = 0;
            for (int t = 8; t < 12; t++) {
                KvCache.Step step = cached.forwardCached(ids.get(NDArrayIndex.all(), NDArrayIndex.interval(t, t + 1)),
                        mask.get(NDArrayIndex.all(), NDArrayIndex.interval(0, t + 1)), past);
                worst = Math.max(worst, step.logits().reshape(-1).sub(full.getRow(t)).amaxNumber().doubleValue());
                past = step.cache();
            }
            assertTrue(worst <= 1e-4, name + ": cached vs uncached logits on a bfloat16 base, max |Δ| " + worst);
        }));
    }
}

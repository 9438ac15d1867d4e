package dev.emo.models;

import dev.emo.Fixtures;
import dev.emo.registry.Models;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Packed rows (several examples in one row, segments numbering them): every example's logits are those it
 * has alone in a right-padded row, on each family's way of placing positions (GPT-2's arange, OPT's +2
 * offset, LLaMA's rotary tables, Mistral's sliding window inside an 11-token example), and changing one
 * example's tokens leaves the others' logits exactly as they were.
 */
class PackedRowsTest {
    private static final int[] LENGTHS = {11, 3, 6};   // one row of 20; the window of 8 is inside the first example

    @Test
    void biasIsBlockDiagonalCausalWithTheWindowInsideEachExample() {
        INDArray mask = Nd4j.createFromArray(new long[][]{{1, 1, 1, 1, 1, 1, 1, 0}});
        INDArray segments = Nd4j.createFromArray(new long[][]{{1, 1, 1, 2, 2, 2, 2, 0}});
        INDArray bias = CausalLM.causalPaddingBias(mask, segments, 8, 0);
        assertEquals("+++.....", SlidingWindowMaskTest.seen(bias, 2));
        assertEquals("...+....", SlidingWindowMaskTest.seen(bias, 3), "an example's first token sees only itself");
        assertEquals("...++++.", SlidingWindowMaskTest.seen(bias, 6));
        INDArray windowed = CausalLM.causalPaddingBias(mask, segments, 8, 2);
        assertEquals("...++...", SlidingWindowMaskTest.seen(windowed, 4));
        assertEquals(".....++.", SlidingWindowMaskTest.seen(windowed, 6));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new long[]{0, 1, 2, 0, 1, 2, 3, 0},
                CausalLM.restartingPositions(segments).reshape(-1).toLongVector(), "positions restart with each example");
    }

    @TestFactory
    Stream<DynamicTest> eachExampleAsIfAlone() {
        return Stream.of("stories260k", "tiny-gpt2", "tiny-opt", "tiny-mistral", "tiny-qwen3").map(name -> DynamicTest.dynamicTest(name, () -> {
            CausalLM model = Models.load(Fixtures.model(name)).model();
            int v = model.config().vocabSize(), total = java.util.Arrays.stream(LENGTHS).sum();
            long[][] examples = new long[LENGTHS.length][];
            Random r = new Random(3);
            for (int e = 0; e < LENGTHS.length; e++) examples[e] = r.longs(LENGTHS[e], 0, v).toArray();
            INDArray packed = packedLogits(model, examples, total);
            double worst = 0;
            for (int e = 0, at = 0; e < LENGTHS.length; at += LENGTHS[e++]) {
                INDArray alone = aloneLogits(model, examples[e], total);
                INDArray inRow = packed.get(NDArrayIndex.interval(at, at + LENGTHS[e]), NDArrayIndex.all());
                worst = Math.max(worst, inRow.sub(alone).amaxNumber().doubleValue() / alone.amaxNumber().doubleValue());
            }
            assertTrue(worst <= 1e-5, name + ": packed vs alone, max |Δ| / max |logit| = " + worst);
            System.out.printf("%s: packed vs alone, max |Δlogit| / max |logit| %.1e%n", name, worst);

            examples[0] = r.longs(LENGTHS[0], 0, v).toArray();          // other tokens in the first example
            INDArray changed = packedLogits(model, examples, total);
            int from = LENGTHS[0];
            INDArray before = packed.get(NDArrayIndex.interval(from, total), NDArrayIndex.all());
            INDArray after = changed.get(NDArrayIndex.interval(from, total), NDArrayIndex.all());
            assertEquals(0.0, after.sub(before).amaxNumber().doubleValue(), name + ": the other examples' logits moved");
            assertTrue(changed.get(NDArrayIndex.interval(0, from), NDArrayIndex.all()).sub(packed.get(NDArrayIndex.interval(0, from), NDArrayIndex.all()))
                    .amaxNumber().doubleValue() > 0, "the changed example's own logits do move");
        }));
    }

    /** The examples packed in row 0 of a batch of two (row 1: the first example and padding), [total, V] of row 0. */
    private static INDArray packedLogits(CausalLM model, long[][] examples, int total) {
        long[][] ids = new long[2][total], mask = new long[2][total], seg = new long[2][total];
        for (int e = 0, at = 0; e < examples.length; at += examples[e++].length) {
            for (int j = 0; j < examples[e].length; j++) {
                ids[0][at + j] = examples[e][j];
                mask[0][at + j] = 1;
                seg[0][at + j] = e + 1;
            }
        }
        for (int j = 0; j < examples[0].length; j++) {
            ids[1][j] = examples[0][j];
            mask[1][j] = 1;
            seg[1][j] = 1;
        }
        INDArray logits = model.forward(Nd4j.createFromArray(ids), Nd4j.createFromArray(mask), Nd4j.createFromArray(seg));
        return logits.get(NDArrayIndex.point(0), NDArrayIndex.all(), NDArrayIndex.all()).dup();
    }

    /** One example right-padded to total, without segments: [length, V]. */
    private static INDArray aloneLogits(CausalLM model, long[] example, int total) {
        long[][] ids = new long[1][total], mask = new long[1][total];
        for (int j = 0; j < example.length; j++) {
            ids[0][j] = example[j];
            mask[0][j] = 1;
        }
        INDArray logits = model.forward(Nd4j.createFromArray(ids), Nd4j.createFromArray(mask));
        return logits.get(NDArrayIndex.point(0), NDArrayIndex.interval(0, example.length), NDArrayIndex.all()).dup();
    }
}

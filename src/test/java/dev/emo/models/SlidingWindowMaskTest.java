package dev.emo.models;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which keys each query sees under Mistral's sliding window, with padding at the end and inside a row. */
class SlidingWindowMaskTest {
    /** Row r of the [1, 1, T, T] bias as a string of '+' (seen) and '.' (masked). */
    static String seen(INDArray bias, int query) {
        StringBuilder b = new StringBuilder();
        for (int s = 0; s < bias.size(3); s++) b.append(bias.getFloat(0, 0, query, s) == 0f ? '+' : '.');
        return b.toString();
    }

    @Test
    void contiguousTokensFollowTransformersIndexRule() {
        INDArray bias = CausalLM.causalPaddingBias(Nd4j.createFromArray(new long[][]{{1, 1, 1, 1, 1, 0, 0}}), 7, 2);
        assertEquals("+......", seen(bias, 0));
        assertEquals("++.....", seen(bias, 1));
        assertEquals(".++....", seen(bias, 2));
        assertEquals("...++..", seen(bias, 4));
        assertEquals("....+..", seen(bias, 5), "a padding query: transformers' j > i − W over sequence indices");
        assertEquals(".......", seen(bias, 6), "nothing real within W of it: fully masked, as in transformers");
    }

    @Test
    void paddingInsideARowDoesNotShrinkTheWindow() {
        // a prefix padded before its suffix (the shared-prefix scorer): the window counts real tokens
        INDArray bias = CausalLM.causalPaddingBias(Nd4j.createFromArray(new long[][]{{1, 1, 0, 0, 1, 1}}), 6, 2);
        assertEquals(".+..+.", seen(bias, 4));
        assertEquals("....++", seen(bias, 5));
    }

    @Test
    void aCachedStepSeesOnlyTheLastWTokens() {
        // 1 new query after 5 cached keys: the bias covers the last query row of [1, 6]
        INDArray bias = CausalLM.causalPaddingBias(Nd4j.createFromArray(new long[][]{{1, 1, 1, 1, 1, 1}}), 1, 3);
        assertEquals("...+++", seen(bias, 0));
    }
}

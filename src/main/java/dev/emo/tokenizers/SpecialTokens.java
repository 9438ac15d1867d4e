package dev.emo.tokenizers;

import java.util.Arrays;
import java.util.Set;

/**
 * The special ids of a tokenizer: what {@code encode(text, true)} puts around the text, the ids that
 * {@code decode} skips, and the bos/eos/pad ids reported to the model code.
 *
 * @param pad -1 if none
 */
public record SpecialTokens(int bos, int eos, int pad, int[] prefix, int[] suffix, Set<Integer> skipOnDecode) {
    public SpecialTokens {
        prefix = prefix.clone();
        suffix = suffix.clone();
        skipOnDecode = Set.copyOf(skipOnDecode);
    }

    /** No ids added on encode; bos/eos/pad skipped on decode. */
    public static SpecialTokens none(int bos, int eos, int pad) {
        return new SpecialTokens(bos, eos, pad, new int[0], new int[0], ids(bos, eos, pad));
    }

    static Set<Integer> ids(int... ids) {
        return Set.copyOf(Arrays.stream(ids).filter(i -> i >= 0).boxed().toList());
    }

    @Override
    public int[] prefix() {
        return prefix.clone();
    }

    @Override
    public int[] suffix() {
        return suffix.clone();
    }

    @Override
    public String toString() {
        return "SpecialTokens[bos=" + bos + ", eos=" + eos + ", pad=" + pad + ", prefix=" + Arrays.toString(prefix)
                + ", suffix=" + Arrays.toString(suffix) + ", skipOnDecode=" + skipOnDecode + "]";
    }
}

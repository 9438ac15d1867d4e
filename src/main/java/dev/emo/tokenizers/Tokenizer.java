package dev.emo.tokenizers;

/**
 * Text to token ids and back, reproducing the model's Hugging Face tokenizer exactly.
 * Implementations are immutable and thread-safe.
 */
public interface Tokenizer {
    /** ids as the model's Hugging Face tokenizer produces them by default (OPT: leading </s>; LLaMA: leading <s>; GPT-2: nothing added). */
    int[] encode(String text);

    int[] encode(String text, boolean addSpecialTokens);

    /** text of the ids; special tokens (bos/eos/pad/unk for the family) are skipped. */
    String decode(int[] ids);

    /** size of the id space incl. added tokens */
    int vocabSize();

    /** from config.json where present, else the family's default */
    int bosId();

    int eosId();

    /** -1 if the model has none */
    int padId();

    /**
     * The tokenizer in a folder by its files alone, without a model family's conventions (BERT-style
     * folders). A causal LM's folder is loaded with {@code registry.ModelFamilies.tokenizer}.
     */
    static Tokenizer load(java.nio.file.Path dir) {
        return Tokenizers.load(dir, null);
    }
}

package dev.emo.tokenizers;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the BPE tokenizers share: cutting out added tokens, adding the special ids around the text,
 * skipping special ids on decode, and a bounded per-word cache of BPE results (natural text repeats
 * words, and BPE on a word costs far more than a map lookup).
 */
public abstract class BaseTokenizer implements Tokenizer {
    private static final int CACHE_MAX_ENTRIES = 50_000;
    private static final int CACHE_MAX_WORD = 64;

    protected final SpecialTokens specials;
    final AddedTokens added;
    private final int[] prefix, suffix;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    BaseTokenizer(SpecialTokens specials, AddedTokens added) {
        this.specials = Objects.requireNonNull(specials);
        this.added = Objects.requireNonNull(added);
        this.prefix = specials.prefix();
        this.suffix = specials.suffix();
    }

    @Override
    public int[] encode(String text) {
        return encode(text, true);
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        Objects.requireNonNull(text, "text");
        IntList out = new IntList(text.length() / 3 + 4);
        if (addSpecialTokens) out.addAll(prefix);
        for (AddedTokens.Piece p : added.split(text)) {
            if (p.id() >= 0) out.add(p.id());
            else encodeText(p.text(), p.start() == 0, out);
        }
        if (addSpecialTokens) out.addAll(suffix);
        return out.toArray();
    }

    /** Encodes text that holds no added token; {@code atStart}: the piece begins the whole input. */
    abstract void encodeText(String text, boolean atStart, IntList out);

    @Override
    public String decode(int[] ids) {
        return decode(ids, true);
    }

    /** {@code skipSpecialTokens=false} keeps special tokens as their text, e.g. {@code <|endoftext|>}. */
    public abstract String decode(int[] ids, boolean skipSpecialTokens);

    /** true for the ids {@link #decode(int[])} skips */
    public boolean isSpecial(int id) {
        return specials.skipOnDecode().contains(id);
    }

    public SpecialTokens specialTokens() {
        return specials;
    }

    @Override
    public int bosId() {
        return specials.bos();
    }

    @Override
    public int eosId() {
        return specials.eos();
    }

    @Override
    public int padId() {
        return specials.pad();
    }

    /** BPE of one word through the cache; short words only, so the cache stays small. */
    int[] cached(String word, java.util.function.Function<String, int[]> bpe) {
        if (word.length() > CACHE_MAX_WORD) return bpe.apply(word);
        int[] ids = cache.get(word);
        if (ids == null) {
            ids = bpe.apply(word);
            // crude bound: drop everything when full; refilling is cheap and needs no locking
            if (cache.size() >= CACHE_MAX_ENTRIES) cache.clear();
            cache.put(word, ids);
        }
        return ids;
    }
}

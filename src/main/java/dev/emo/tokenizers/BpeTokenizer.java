package dev.emo.tokenizers;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * HF's encode pipeline for a BPE model, shared by byte-level and SentencePiece-style files, which
 * differ only in their pre-tokenizer and decoder: added tokens marked {@code normalized: false} are cut
 * out of the raw text (by {@link BaseTokenizer}); each remaining piece is normalized, the
 * {@code normalized: true} added tokens are cut out of the normalized text, and the rest is
 * pre-tokenized into words for the BPE model (HF's AddedVocabulary::extract_and_normalize, then
 * pre-tokenize and model).
 */
public abstract class BpeTokenizer extends BaseTokenizer {
    private final UnaryOperator<String> normalizer;
    private final AddedTokens normalizedAdded;
    private final PreTokenizers preTokenizer;
    private final BpeModel model;
    private final String[] idToToken;

    BpeTokenizer(SpecialTokens specials, List<AddedTokens.Token> added, UnaryOperator<String> normalizer,
                 PreTokenizers preTokenizer, BpeModel model) {
        super(specials, new AddedTokens(select(added, false)));
        this.normalizer = normalizer;
        this.normalizedAdded = new AddedTokens(select(added, true));
        this.preTokenizer = preTokenizer;
        this.model = model;
        int size = 0;
        for (int id : model.vocab.values()) size = Math.max(size, id + 1);
        for (AddedTokens.Token t : added) size = Math.max(size, t.id() + 1);
        idToToken = new String[size];
        model.vocab.forEach((tok, id) -> idToToken[id] = tok);
        for (AddedTokens.Token t : added) idToToken[t.id()] = t.content();
    }

    private static List<AddedTokens.Token> select(List<AddedTokens.Token> added, boolean normalized) {
        List<AddedTokens.Token> out = new ArrayList<>();
        for (AddedTokens.Token t : added) if (t.normalized() == normalized) out.add(t);
        return out;
    }

    @Override
    final void encodeText(String piece, boolean atStart, IntList out) {
        String s = normalizer.apply(piece);
        if (s.isEmpty()) return;
        for (AddedTokens.Piece p : normalizedAdded.split(s)) {
            if (p.id() >= 0) out.add(p.id());
            else preTokenizer.words(p.text(), atStart && p.start() == 0, w -> out.addAll(cached(w, model::tokenize)));
        }
    }

    @Override
    public final String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            if (id < 0 || id >= idToToken.length || idToToken[id] == null) continue; // HF skips unknown ids too
            if (skipSpecialTokens && isSpecial(id)) continue;
            tokens.add(idToToken[id]);
        }
        return decodeTokens(tokens);
    }

    /** The file's decoder over the token strings. */
    abstract String decodeTokens(List<String> tokens);

    @Override
    public final int vocabSize() {
        return idToToken.length;
    }

    /** the token string of an id (for byte-level files in the byte-level alphabet), or null */
    public final String token(int id) {
        return id >= 0 && id < idToToken.length ? idToToken[id] : null;
    }
}

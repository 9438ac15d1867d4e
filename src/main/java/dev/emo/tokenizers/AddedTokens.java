package dev.emo.tokenizers;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Tokens matched verbatim in the text before the model sees it (HF's AddedVocabulary): the text is
 * cut at the leftmost, then longest, occurrence of any added token; the pieces between go to the
 * normalizer / pre-tokenizer / BPE separately. Tokens marked {@code normalized} are matched in the
 * normalized text, the others in the raw text (see {@link BpeTokenizer}). lstrip/rstrip/single_word
 * are refused when the file is read (none of the supported families uses them).
 */
final class AddedTokens {
    /** A piece of the text: an added token's id, or {@code id == -1} and text for the model. */
    record Piece(String text, int start, int id) {}

    /** {@code normalized}: matched after the normalizer rather than in the raw text */
    record Token(String content, int id, boolean special, boolean normalized) {}

    static final AddedTokens NONE = new AddedTokens(List.of());

    private final List<Token> tokens;
    // first char -> tokens starting with it, longest first
    private final Map<Character, List<Token>> byFirst = new HashMap<>();

    AddedTokens(List<Token> tokens) {
        this.tokens = List.copyOf(tokens);
        for (Token t : tokens) {
            if (t.content().isEmpty()) continue;
            byFirst.computeIfAbsent(t.content().charAt(0), k -> new ArrayList<>()).add(t);
        }
        for (List<Token> l : byFirst.values()) l.sort(Comparator.comparingInt((Token t) -> -t.content().length()));
    }

    List<Token> tokens() {
        return tokens;
    }

    boolean isEmpty() {
        return byFirst.isEmpty();
    }

    List<Piece> split(String text) {
        List<Piece> out = new ArrayList<>();
        if (byFirst.isEmpty()) {
            out.add(new Piece(text, 0, -1));
            return out;
        }
        int from = 0, i = 0;
        while (i < text.length()) {
            Token hit = match(text, i);
            if (hit == null) {
                i++;
                continue;
            }
            if (from < i) out.add(new Piece(text.substring(from, i), from, -1));
            out.add(new Piece(hit.content(), i, hit.id()));
            i += hit.content().length();
            from = i;
        }
        if (from < text.length() || text.isEmpty()) out.add(new Piece(text.substring(from), from, -1));
        return out;
    }

    private Token match(String text, int i) {
        List<Token> cands = byFirst.get(text.charAt(i));
        if (cands == null) return null;
        for (Token t : cands) if (text.startsWith(t.content(), i)) return t;
        return null;
    }
}

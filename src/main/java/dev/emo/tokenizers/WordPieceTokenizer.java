package dev.emo.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * BERT's WordPiece tokenizer in pure Java, read from a Hugging Face {@code tokenizer.json}
 * (model type WordPiece): added tokens cut out of the raw text, {@link BertText} normalisation and
 * word splitting, then per word greedy longest-match against the vocab with {@code ##} marking a
 * continuation; a word longer than max_input_chars_per_word, or one with a piece not in the vocab,
 * becomes [UNK] as a whole. The post-processor's ids ([CLS] … [SEP]) are added around the text.
 */
public final class WordPieceTokenizer extends BaseTokenizer {
    private final Map<String, Integer> vocab;
    private final String[] tokenOf; // id -> token text, for decode
    private final BertText text;
    private final String continuation;
    private final int unkId, maxCharsPerWord;
    private final boolean spaceIsBoundary; // no added token holds a space, so text cut at a space tokenises as a prefix

    private WordPieceTokenizer(TokenizerJson tj, SpecialTokens specials) {
        super(specials, new AddedTokens(tj.added));
        vocab = tj.vocab;
        JsonNode m = tj.model;
        continuation = m.path("continuing_subword_prefix").asText("##");
        maxCharsPerWord = m.path("max_input_chars_per_word").asInt(100);
        String unk = m.path("unk_token").asText("[UNK]");
        Integer unkOrNull = vocab.get(unk);
        if (unkOrNull == null) throw JsonFiles.bad(tj.file, "WordPiece unk_token " + TokenizerJson.quote(unk) + " is not in the vocab");
        unkId = unkOrNull;
        text = BertText.fromJson(tj.root.get("normalizer"), tj.root.get("pre_tokenizer"), tj.file);
        int size = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        for (AddedTokens.Token t : tj.added) size = Math.max(size, t.id() + 1);
        tokenOf = new String[size];
        vocab.forEach((tok, id) -> tokenOf[id] = tok);
        for (AddedTokens.Token t : tj.added) tokenOf[t.id()] = t.content();
        spaceIsBoundary = tj.added.stream().noneMatch(t -> t.content().contains(" "));
    }

    public static WordPieceTokenizer fromTokenizerJson(Path file) {
        return fromTokenizerJson(TokenizerJson.read(file));
    }

    /** From a stream such as a classpath resource; {@code label} names it in error messages. */
    public static WordPieceTokenizer fromTokenizerJson(InputStream in, String label) {
        return fromTokenizerJson(TokenizerJson.read(Path.of(label), in));
    }

    static WordPieceTokenizer fromTokenizerJson(TokenizerJson tj) {
        if (!tj.wordPiece) throw TokenizerException.of(tj.file, "model type is not WordPiece", "pass a BERT-family tokenizer.json");
        if (tj.prefix.length == 0 && tj.suffix.length == 0)
            throw TokenizerException.of(tj.file, "no post_processor adding [CLS]/[SEP]", "use the tokenizer.json saved with the model");
        int cls = tj.idOfAny("[CLS]"), sep = tj.idOfAny("[SEP]"), pad = tj.root.path("padding").path("pad_id").asInt(tj.idOfAny("[PAD]"));
        Set<Integer> skip = new TreeSet<>(tj.specialAddedIds());
        skip.addAll(SpecialTokens.ids(cls, sep, pad));
        return new WordPieceTokenizer(tj, new SpecialTokens(cls, sep, pad, tj.prefix, tj.suffix, skip));
    }

    /** True when the normalizer lower-cases (an uncased model). */
    public boolean lowercases() {
        return text.lowercases();
    }

    /**
     * Ids with [CLS]/[SEP], the text's own ids cut so that the whole fits {@code maxLength}, as HF's
     * truncation does (special tokens kept). Long texts are first tried on a prefix, cut at a plain
     * space (always a word boundary), so a book-length input costs about {@code maxLength} words.
     */
    public int[] encode(String text, int maxLength) {
        Objects.requireNonNull(text, "text");
        int[] pre = specials.prefix(), post = specials.suffix();
        int room = maxLength - pre.length - post.length;
        if (room < 0) throw new IllegalArgumentException("maxLength " + maxLength + " leaves no room for the special tokens");
        int[] body = null;
        int cut = spaceIsBoundary ? text.indexOf(' ', Math.min(text.length(), 16 * (room + 1))) : -1;
        if (cut > 0) {
            int[] head = encode(text.substring(0, cut), false);
            if (head.length >= room) body = head;
        }
        if (body == null) body = encode(text, false);
        int n = Math.min(room, body.length);
        int[] ids = new int[pre.length + n + post.length];
        System.arraycopy(pre, 0, ids, 0, pre.length);
        System.arraycopy(body, 0, ids, pre.length, n);
        System.arraycopy(post, 0, ids, pre.length + n, post.length);
        return ids;
    }

    @Override
    void encodeText(String raw, boolean atStart, IntList out) {
        BertText.words(text.normalize(raw), w -> out.addAll(cached(w, this::wordPiece)));
    }

    /** Greedy longest-match-first split of one word; [UNK] for the whole word if any part is unknown. */
    private int[] wordPiece(String word) {
        if (word.codePointCount(0, word.length()) > maxCharsPerWord) return new int[] {unkId};
        IntList ids = new IntList(4);
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            Integer hit = null;
            while (end > start) {
                String piece = start > 0 ? continuation + word.substring(start, end) : word.substring(start, end);
                hit = vocab.get(piece);
                if (hit != null) break;
                end = word.offsetByCodePoints(end, -1); // shrink by whole code points, never splitting a surrogate pair
            }
            if (hit == null) return new int[] {unkId};
            ids.add(hit);
            start = end;
        }
        return ids.toArray();
    }

    /** HF's WordPiece decoder with cleanup: '##' pieces glued on, spaces before punctuation/contractions removed. */
    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            if (skipSpecialTokens && isSpecial(id)) continue;
            tokens.add(id >= 0 && id < tokenOf.length && tokenOf[id] != null ? tokenOf[id] : tokenOf[unkId]);
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (i > 0) t = t.startsWith(continuation) ? t.substring(continuation.length()) : " " + t;
            b.append(cleanup(t));
        }
        return b.toString();
    }

    private static String cleanup(String s) {
        return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",").replace(" ' ", "'")
                .replace(" n't", "n't").replace(" 'm", "'m").replace(" do not", " don't").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re");
    }

    @Override
    public int vocabSize() {
        return tokenOf.length;
    }

    public int clsId() {
        return specials.bos();
    }

    public int sepId() {
        return specials.eos();
    }
}

package dev.emo.tokenizers;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * HF's BPE model on one word: with {@code ignore_merges} a word that is itself in the vocab is one
 * id; otherwise one symbol per char (byte-level words: per byte char; SentencePiece words: per code
 * point), {@code <0xNN>} byte tokens for a char missing from the vocab when {@code byte_fallback} is
 * on, else the unk id (runs of unknowns fused into one with {@code fuse_unk}); then merge by rank.
 */
final class BpeModel {
    final Map<String, Integer> vocab;
    private final BpeMerges merges;
    private final boolean byteFallback, fuseUnk, ignoreMerges;
    private final int unkId;
    private final int[] byteIds = new int[256];

    BpeModel(Map<String, Integer> vocab, BpeMerges merges, boolean byteFallback, boolean fuseUnk, boolean ignoreMerges, int unkId) {
        this.vocab = vocab;
        this.merges = merges;
        this.byteFallback = byteFallback;
        this.fuseUnk = fuseUnk;
        this.ignoreMerges = ignoreMerges;
        this.unkId = unkId;
        for (int b = 0; b < 256; b++) byteIds[b] = vocab.getOrDefault(String.format("<0x%02X>", b), -1);
    }

    /** The model of a tokenizer.json's "model" object (BPE). */
    static BpeModel of(TokenizerJson tj) {
        String unk = tj.model.path("unk_token").asText(null);
        return new BpeModel(tj.vocab, TokenizerJson.mergeTable(tj.merges, tj.vocab, tj.file), tj.flag("byte_fallback"),
                tj.flag("fuse_unk"), tj.flag("ignore_merges"), unk == null ? -1 : tj.vocab.getOrDefault(unk, -1));
    }

    /** HF's BPE::tokenize (ignore_merges) and merge_word. */
    int[] tokenize(String word) {
        if (word.isEmpty()) return new int[0];
        if (ignoreMerges) {
            Integer whole = vocab.get(word);
            if (whole != null) return new int[] {whole};
        }
        IntList syms = new IntList(word.length());
        boolean unkPending = false;
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            String c = word.substring(i, i + Character.charCount(cp));
            i += c.length();
            Integer id = vocab.get(c);
            if (id != null) {
                if (unkPending) syms.add(unkId);
                unkPending = false;
                syms.add(id);
                continue;
            }
            if (byteFallback && addBytes(c, syms)) continue; // HF leaves a pending unk pending here too
            if (unkId < 0)
                throw new TokenizerException("symbol " + TokenizerJson.quote(c) + " (U+" + String.format("%04X", cp)
                        + ") is not in the tokenizer vocab and the tokenizer has no unk_token; use a tokenizer.json with "
                        + "byte_fallback or an unk_token, or a complete byte-level vocab");
            if (unkPending && !fuseUnk) syms.add(unkId);
            unkPending = true;
        }
        if (unkPending) syms.add(unkId);
        return merges.apply(syms.toArray());
    }

    private boolean addBytes(String c, IntList syms) {
        byte[] bytes = c.getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) if (byteIds[b & 0xff] < 0) return false;
        for (byte b : bytes) syms.add(byteIds[b & 0xff]);
        return true;
    }
}

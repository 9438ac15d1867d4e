package dev.emo.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * SentencePiece-style BPE as Hugging Face runs it from {@code tokenizer.json} (LLaMA, Mistral, llama2.c):
 * normalize (spaces become "▁", a "▁" is prepended), optionally split at "▁" (Metaspace), start from
 * one symbol per code point, fall back to {@code <0xNN>} byte tokens for code points missing from the
 * vocab, merge by rank. Decode runs the file's decoder steps (see {@link SpDecoder}).
 */
public final class SentencePieceBpeTokenizer extends BaseTokenizer {
    private final Map<String, Integer> vocab;
    private final String[] idToToken;
    private final BpeMerges merges;
    private final boolean byteFallback, fuseUnk, ignoreMerges;
    private final int unkId;
    private final int[] byteIds = new int[256];
    private final SpText text;
    private final SpDecoder decoder;

    private SentencePieceBpeTokenizer(TokenizerJson tj, SpecialTokens specials) {
        super(specials, new AddedTokens(tj.added));
        vocab = tj.vocab;
        merges = TokenizerJson.mergeTable(tj.merges, vocab, tj.file);
        byteFallback = tj.flag("byte_fallback");
        fuseUnk = tj.flag("fuse_unk");
        ignoreMerges = tj.flag("ignore_merges");
        String unk = tj.model.path("unk_token").asText(null);
        unkId = unk == null ? -1 : vocab.getOrDefault(unk, -1);
        for (int b = 0; b < 256; b++) byteIds[b] = vocab.getOrDefault(String.format("<0x%02X>", b), -1);
        text = new SpText(tj.root.get("normalizer"), tj.root.get("pre_tokenizer"), tj.file);
        decoder = new SpDecoder(tj.root.get("decoder"), tj.file);
        int size = 0;
        for (int id : vocab.values()) size = Math.max(size, id + 1);
        for (AddedTokens.Token t : tj.added) size = Math.max(size, t.id() + 1);
        idToToken = new String[size];
        vocab.forEach((tok, id) -> idToToken[id] = tok);
        for (AddedTokens.Token t : tj.added) idToToken[t.id()] = t.content();
    }

    /** From {@code tokenizer.json} alone: specials from its post-processor; {@code <s>}/{@code </s>}/{@code <pad>} as bos/eos/pad. */
    public static SentencePieceBpeTokenizer fromTokenizerJson(Path tokenizerJson) {
        TokenizerJson tj = TokenizerJson.read(tokenizerJson);
        int bos = tj.idOfAny("<s>"), eos = tj.idOfAny("</s>"), pad = tj.idOfAny("<pad>");
        Set<Integer> skip = new TreeSet<>(tj.specialAddedIds());
        skip.addAll(SpecialTokens.ids(bos, eos, pad, tj.idOfAny(tj.model.path("unk_token").asText("<unk>"))));
        return new SentencePieceBpeTokenizer(tj, new SpecialTokens(bos, eos, pad, tj.prefix, tj.suffix, skip));
    }

    /** From {@code tokenizer.json}, with the special ids decided by the caller (see {@link Tokenizers}). */
    public static SentencePieceBpeTokenizer fromTokenizerJson(Path tokenizerJson, SpecialTokens specials) {
        return new SentencePieceBpeTokenizer(TokenizerJson.read(tokenizerJson), specials);
    }

    static SentencePieceBpeTokenizer fromTokenizerJson(TokenizerJson tj, SpecialTokens specials) {
        return new SentencePieceBpeTokenizer(tj, specials);
    }

    @Override
    void encodeText(String piece, boolean atStart, IntList out) {
        for (String word : text.words(piece, atStart)) {
            for (int id : cached(word, this::bpe)) out.add(id);
        }
    }

    /** HF's BPE::merge_word: per code point a vocab id, else its byte tokens, else (fused) unk; then merge. */
    private int[] bpe(String word) {
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
                throw new TokenizerException("character U+" + String.format("%04X", cp)
                        + " is not in the tokenizer vocab and the tokenizer has no unk_token; use a tokenizer.json with byte_fallback or an unk_token");
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

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            if (id < 0 || id >= idToToken.length || idToToken[id] == null) continue; // HF skips unknown ids too
            if (skipSpecialTokens && isSpecial(id)) continue;
            tokens.add(idToToken[id]);
        }
        return decoder.decode(tokens);
    }

    @Override
    public int vocabSize() {
        return idToToken.length;
    }

    /** the token string of an id, or null */
    public String token(int id) {
        return id >= 0 && id < idToToken.length ? idToToken[id] : null;
    }
}

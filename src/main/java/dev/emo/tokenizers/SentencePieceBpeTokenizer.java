package dev.emo.tokenizers;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * SentencePiece-style BPE as Hugging Face runs it from {@code tokenizer.json} (LLaMA, Mistral, llama2.c):
 * normalize (older files: spaces become "▁", a "▁" is prepended), pre-tokenize (newer files: Metaspace
 * does the same and may cut before each "▁"), start from one symbol per code point, fall back to
 * {@code <0xNN>} byte tokens for code points missing from the vocab, merge by rank. Decode runs the
 * file's decoder steps (see {@link SpDecoder}).
 */
public final class SentencePieceBpeTokenizer extends BpeTokenizer {
    private final SpDecoder decoder;

    private SentencePieceBpeTokenizer(TokenizerJson tj, SpecialTokens specials) {
        super(specials, tj.added, Normalizers.of(tj.root.get("normalizer"), tj.file),
                PreTokenizers.of(tj.root.get("pre_tokenizer"), tj.file), BpeModel.of(tj));
        decoder = new SpDecoder(tj.root.get("decoder"), tj.file);
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
    String decodeTokens(List<String> tokens) {
        return decoder.decode(tokens);
    }
}

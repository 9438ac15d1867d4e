package dev.emo.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * Byte-level BPE (GPT-2, OPT, RoBERTa, Llama 3, Qwen2/3): the pre-tokenizer (GPT-2's regex, or the
 * file's Split regex followed by ByteLevel) shows each piece's UTF-8 bytes as chars of the byte-level
 * alphabet, BPE merges by rank, ids come from the vocab. Decode maps the chars back to bytes, so any
 * text round-trips (up to the normalizer, e.g. NFC).
 */
public final class ByteLevelBpeTokenizer extends BpeTokenizer {
    private static final String VOCAB_FIX = "copy vocab.json and merges.txt again from the Hugging Face model repo";

    private ByteLevelBpeTokenizer(SpecialTokens specials, List<AddedTokens.Token> added, UnaryOperator<String> normalizer,
                                  PreTokenizers preTokenizer, BpeModel model) {
        super(specials, added, normalizer, preTokenizer, model);
    }

    /**
     * Plain BPE from {@code vocab.json} + {@code merges.txt}, as OpenAI's encoder: nothing is added on
     * encode and special-token text such as {@code <|endoftext|>} is split like any other text.
     * {@code <|endoftext|>} (where present) is reported as bos/eos and skipped on decode.
     */
    public static ByteLevelBpeTokenizer fromVocabAndMerges(Path vocabJson, Path mergesTxt) {
        Map<String, Integer> vocab = readVocabJson(vocabJson);
        int eot = vocab.getOrDefault("<|endoftext|>", -1);
        return build(vocab, mergesTxt, SpecialTokens.none(eot, eot, -1), List.of());
    }

    /**
     * BPE from {@code vocab.json} + {@code merges.txt} with the given special ids, where the tokens in
     * {@code splitTokens} (found in the vocab) are cut out of the text before BPE, as HF's
     * GPT2Tokenizer does with its special tokens.
     */
    public static ByteLevelBpeTokenizer fromVocabAndMerges(Path vocabJson, Path mergesTxt, SpecialTokens specials,
                                                           List<String> splitTokens) {
        return build(readVocabJson(vocabJson), mergesTxt, specials, splitTokens);
    }

    private static ByteLevelBpeTokenizer build(Map<String, Integer> vocab, Path mergesTxt, SpecialTokens specials,
                                               List<String> splitTokens) {
        BpeMerges table = TokenizerJson.mergeTable(readMergesTxt(mergesTxt), vocab, mergesTxt);
        List<AddedTokens.Token> added = new ArrayList<>();
        for (String s : splitTokens) {
            Integer id = vocab.get(s);
            if (id != null) added.add(new AddedTokens.Token(s, id, true, false));
        }
        return new ByteLevelBpeTokenizer(specials, added, UnaryOperator.identity(), PreTokenizers.gpt2(),
                new BpeModel(vocab, table, false, false, false, -1));
    }

    /**
     * From a Hugging Face {@code tokenizer.json}: added tokens are cut out first; the post-processor's
     * specials are added on encode; special added tokens are skipped on decode.
     */
    public static ByteLevelBpeTokenizer fromTokenizerJson(Path tokenizerJson) {
        TokenizerJson tj = TokenizerJson.read(tokenizerJson);
        int bos = tj.idOfAny("<s>", "<|endoftext|>"), eos = tj.idOfAny("</s>", "<|endoftext|>"), pad = tj.idOfAny("<pad>");
        Set<Integer> skip = new TreeSet<>(tj.specialAddedIds());
        skip.addAll(SpecialTokens.ids(bos, eos, pad));
        return fromTokenizerJson(tj, new SpecialTokens(bos, eos, pad, tj.prefix, tj.suffix, skip));
    }

    /** From {@code tokenizer.json}, with the special ids decided by the caller (see {@link Tokenizers}). */
    public static ByteLevelBpeTokenizer fromTokenizerJson(Path tokenizerJson, SpecialTokens specials) {
        return fromTokenizerJson(TokenizerJson.read(tokenizerJson), specials);
    }

    static ByteLevelBpeTokenizer fromTokenizerJson(TokenizerJson tj, SpecialTokens specials) {
        PreTokenizers pre = PreTokenizers.of(tj.root.get("pre_tokenizer"), tj.file);
        if (!pre.byteLevel)
            throw TokenizerException.of(tj.file, "the decoder is ByteLevel but the pre_tokenizer has no ByteLevel step",
                    "use the model's original tokenizer.json");
        JsonNode dec = tj.root.get("decoder");
        if (dec == null || !"ByteLevel".equals(dec.path("type").asText()))
            throw TokenizerException.of(tj.file, "decoder " + (dec == null || dec.isNull() ? "null" : dec.path("type").asText())
                    + " is not supported for byte-level BPE", "use a tokenizer.json whose decoder is ByteLevel");
        return new ByteLevelBpeTokenizer(specials, tj.added, Normalizers.of(tj.root.get("normalizer"), tj.file), pre, BpeModel.of(tj));
    }

    static Map<String, Integer> readVocabJson(Path file) {
        return TokenizerJson.readVocab(JsonFiles.read(file), file);
    }

    /** merges.txt: an optional "#version" line, then one "a b" pair per line in rank order. */
    static List<String[]> readMergesTxt(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new TokenizerException(file + ": cannot read (" + e + "); " + VOCAB_FIX, e);
        }
        List<String[]> out = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty() || (i == 0 && line.startsWith("#version"))) continue;
            String[] pair = line.split(" ", -1);
            if (pair.length != 2)
                throw TokenizerException.of(file, "line " + (i + 1) + " is not a pair \"a b\": " + TokenizerJson.quote(line), VOCAB_FIX);
            out.add(pair);
        }
        return out;
    }

    /** HF's ByteLevel decoder: the tokens' bytes joined, invalid UTF-8 replaced. */
    @Override
    String decodeTokens(List<String> tokens) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(tokens.size() * 4);
        for (String t : tokens) ByteLevel.appendBytes(t, bytes);
        return bytes.toString(StandardCharsets.UTF_8);
    }
}

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
import java.util.regex.Matcher;

/**
 * GPT-2 byte-level BPE (GPT-2, OPT, RoBERTa...): split with GPT-2's regex, show each piece's UTF-8
 * bytes as chars of the byte-level alphabet, merge by rank, look the symbols up in the vocab. Decode
 * joins the tokens and maps the chars back to bytes, so any text round-trips.
 */
public final class ByteLevelBpeTokenizer extends BaseTokenizer {
    private static final String VOCAB_FIX = "copy vocab.json and merges.txt again from the Hugging Face model repo";

    private final Map<String, Integer> vocab;
    private final String[] idToToken;
    private final BpeMerges merges;
    private final boolean addPrefixSpace, useRegex, ignoreMerges;

    private ByteLevelBpeTokenizer(Map<String, Integer> vocab, BpeMerges merges, AddedTokens added,
                                  SpecialTokens specials, boolean addPrefixSpace, boolean useRegex, boolean ignoreMerges) {
        super(specials, added);
        this.vocab = vocab;
        this.merges = merges;
        this.addPrefixSpace = addPrefixSpace;
        this.useRegex = useRegex;
        this.ignoreMerges = ignoreMerges;
        int size = 0;
        for (int id : vocab.values()) size = Math.max(size, id + 1);
        for (AddedTokens.Token t : added.tokens()) size = Math.max(size, t.id() + 1);
        idToToken = new String[size];
        vocab.forEach((tok, id) -> idToToken[id] = tok);
        for (AddedTokens.Token t : added.tokens()) idToToken[t.id()] = t.content();
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
            if (id != null) added.add(new AddedTokens.Token(s, id, true));
        }
        return new ByteLevelBpeTokenizer(vocab, table, new AddedTokens(added), specials, false, true, false);
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
        JsonNode norm = tj.root.get("normalizer");
        if (norm != null && !norm.isNull())
            throw TokenizerException.of(tj.file, "a normalizer (" + norm.path("type").asText() + ") on a byte-level BPE is not supported",
                    "use the model's original GPT-2-style tokenizer.json");
        JsonNode pre = tj.root.get("pre_tokenizer");
        if (pre != null && !pre.isNull() && !"ByteLevel".equals(pre.path("type").asText()))
            throw TokenizerException.of(tj.file, "pre_tokenizer " + pre.path("type").asText() + " is not supported for byte-level BPE",
                    "use the model's original GPT-2-style tokenizer.json");
        boolean prefixSpace = pre != null && pre.path("add_prefix_space").asBoolean(false);
        boolean regex = pre == null || pre.path("use_regex").asBoolean(true);
        BpeMerges table = TokenizerJson.mergeTable(tj.merges, tj.vocab, tj.file);
        return new ByteLevelBpeTokenizer(tj.vocab, table, new AddedTokens(tj.added), specials, prefixSpace, regex,
                tj.flag("ignore_merges"));
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

    @Override
    void encodeText(String text, boolean atStart, IntList out) {
        if (text.isEmpty()) return;
        if (addPrefixSpace && !text.startsWith(" ")) text = " " + text;
        if (!useRegex) {
            for (int id : cached(ByteLevel.encode(text), this::bpe)) out.add(id);
            return;
        }
        Matcher m = ByteLevel.GPT2_SPLIT.matcher(text);
        while (m.find()) {
            for (int id : cached(ByteLevel.encode(m.group()), this::bpe)) out.add(id);
        }
    }

    /** BPE of one pre-token, already in the byte-level alphabet. */
    private int[] bpe(String word) {
        if (ignoreMerges) {
            Integer whole = vocab.get(word);
            if (whole != null) return new int[] {whole};
        }
        int[] syms = new int[word.length()];
        for (int i = 0; i < syms.length; i++) {
            Integer id = vocab.get(String.valueOf(word.charAt(i)));
            if (id == null)
                throw new TokenizerException("byte-level vocab lacks the byte token " + TokenizerJson.quote(String.valueOf(word.charAt(i)))
                        + "; the vocab is not a complete GPT-2-style byte-level vocab, copy it again from the Hugging Face model repo");
            syms[i] = id;
        }
        return merges.apply(syms);
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) {
            if (id < 0 || id >= idToToken.length || idToToken[id] == null) continue; // HF skips unknown ids too
            if (skipSpecialTokens && isSpecial(id)) continue;
            ByteLevel.appendBytes(idToToken[id], bytes);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Override
    public int vocabSize() {
        return idToToken.length;
    }

    /** the token string of an id (byte-level alphabet), or null */
    public String token(int id) {
        return id >= 0 && id < idToToken.length ? idToToken[id] : null;
    }
}

package dev.emo.tokenizers;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A hand-made byte-level tokenizer.json in the Llama 3 / Qwen layout (normalizer, Sequence[Split,
 * ByteLevel without regex], ignore_merges, Sequence[ByteLevel, TemplateProcessing]); expected ids
 * worked out by hand from HF's rules. No fixtures needed.
 */
class TinyByteLevelTest {
    // merges: "a b" (rank 0), "Ġ a" (1), "Ġ ab" (2); "abc" is in the vocab but no merge makes it
    static final String MODEL = """
            "model": {"type": "BPE", "ignore_merges": %s, "dropout": null, "unk_token": null, "fuse_unk": false, "byte_fallback": false,
              "vocab": {"a": 0, "b": 1, "c": 2, "Ġ": 3, "ab": 4, "Ġa": 5, "abc": 6, "Ġab": 7},
              "merges": [["a", "b"], ["Ġ", "a"], ["Ġ", "ab"]]}""";
    static final String ADDED = """
            "added_tokens": [{"id": 8, "content": "<|bos|>", "special": true, "normalized": false},
                             {"id": 9, "content": "xy", "special": false, "normalized": true}]""";
    static final String TEMPLATE = """
            "post_processor": {"type": "Sequence", "processors": [{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false},
              {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|bos|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
               "special_tokens": {"<|bos|>": {"id": "<|bos|>", "ids": [8], "tokens": ["<|bos|>"]}}}]}""";

    static String json(boolean ignoreMerges, String postProcessor) {
        return "{" + ADDED + ",\n"
                + "\"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"NFKC\"}, {\"type\": \"Lowercase\"}]},\n"
                + "\"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": ["
                + "{\"type\": \"Split\", \"pattern\": {\"String\": \" \"}, \"behavior\": \"MergedWithNext\", \"invert\": false},"
                + "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false, \"use_regex\": false}]},\n"
                + postProcessor + ",\n"
                + "\"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true},\n"
                + MODEL.formatted(ignoreMerges) + "}";
    }

    static Tokenizer load(Path dir, String tokenizerJson, String conventions) throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), tokenizerJson);
        return Tokenizers.load(dir, conventions);
    }

    @Test
    void ignoreMergesTakesAWholeWordFromTheVocab(@TempDir Path a, @TempDir Path b) throws Exception {
        // "ab abc" splits into "ab", " abc" (MergedWithNext on " "); " abc" is "Ġabc", not in the vocab, so it is merged
        // a+b first (rank 0), then Ġ+ab (rank 2), leaving c: [Ġab, c]
        assertArrayEquals(new int[] {8, 4, 7, 2}, load(a, json(true, TEMPLATE), null).encode("ab abc"));
        // "abc" alone is in the vocab: one id with ignore_merges, [ab, c] without
        assertArrayEquals(new int[] {8, 6}, load(a, json(true, TEMPLATE), null).encode("abc"));
        assertArrayEquals(new int[] {8, 4, 2}, load(b, json(false, TEMPLATE), null).encode("abc"));
    }

    @Test
    void addedTokensRawAndNormalized(@TempDir Path dir) throws Exception {
        Tokenizer t = load(dir, json(true, TEMPLATE), null);
        // NFKC + Lowercase make "ＡＢ XY" into "ab xy"; "xy" (normalized: true) is found in that normalized text
        int[] ids = t.encode("ＡＢ XY");
        assertArrayEquals(new int[] {8, 4, 3, 9}, ids);
        // "<|bos|>" (normalized: false) is found in the raw text
        assertArrayEquals(new int[] {8, 8, 4}, t.encode("<|bos|>ab"));
        assertArrayEquals(new int[] {4}, t.encode("AB", false));
        assertEquals("<|bos|>ab xy", ((BaseTokenizer) t).decode(ids, false));
        assertEquals("ab xy", t.decode(ids), "the special added token is skipped");
    }

    @Test
    void qwenConventionsAddWhatTheFileSays(@TempDir Path qwen, @TempDir Path llama) throws Exception {
        // no post-processor; tokenizer_config asks for a bos, which LlamaTokenizerFast adds and Qwen2TokenizerFast does not
        String noTemplate = json(true, "\"post_processor\": null");
        String cfg = "{\"add_bos_token\": true, \"bos_token\": \"<|bos|>\", \"eos_token\": \"xy\"}";
        Files.writeString(qwen.resolve("tokenizer_config.json"), cfg);
        Files.writeString(llama.resolve("tokenizer_config.json"), cfg);
        Tokenizer q = load(qwen, noTemplate, "QWEN"), l = load(llama, noTemplate, "LLAMA");
        assertArrayEquals(new int[] {4}, q.encode("ab"));
        assertArrayEquals(new int[] {8, 4}, l.encode("ab"));
        assertEquals(8, q.bosId());
        assertEquals(9, q.eosId());
        assertEquals(-1, q.padId(), "the QWEN default pad <|endoftext|> is not in this vocab");
    }
}

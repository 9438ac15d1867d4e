package dev.emo.tokenizers;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input gives a one-line TokenizerException naming the file, the problem and the fix; no fixtures needed. */
class TokenizerErrorsTest {

    private static String oneLineError(Path dir) {
        TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizer.load(dir));
        String m = e.getMessage();
        assertFalse(m.contains("\n") || m.contains("\r"), () -> "not one line: " + m);
        assertTrue(m.contains("; "), () -> "no fix given: " + m);
        return m;
    }

    @Test
    void folderWithoutTokenizerFiles(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"gpt2\"}");
        String m = oneLineError(dir);
        assertTrue(m.startsWith(dir + ": no tokenizer files"), m);
        assertTrue(m.contains("tokenizer.json") && m.contains("vocab.json + merges.txt"), m);
    }

    @Test
    void corruptTokenizerJson(@TempDir Path dir) throws Exception {
        Path tj = dir.resolve("tokenizer.json");
        Files.writeString(tj, "{\"model\": {\"type\": \"BPE\",\n \"vocab\": {\"a\": 0,,}");
        String m = oneLineError(dir);
        assertTrue(m.startsWith(tj + ": not valid JSON at line 2"), m);
    }

    @Test
    void corruptConfigJson(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("config.json"), "");
        String m = oneLineError(dir);
        assertTrue(m.startsWith(dir.resolve("config.json") + ": "), m);
    }

    @Test
    void vocabWithoutMerges(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("vocab.json"), "{\"a\": 0}");
        String m = oneLineError(dir);
        assertTrue(m.contains("vocab.json but no merges.txt"), m);
    }

    @Test
    void mergeOfUnknownTokens(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("vocab.json"), "{\"a\": 0, \"b\": 1}");
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\na b\n");
        String m = oneLineError(dir);
        assertTrue(m.startsWith(dir.resolve("merges.txt") + ": merge #0"), m);
    }

    @Test
    void unsupportedModelType(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}");
        String m = oneLineError(dir);
        assertTrue(m.contains("Unigram is not supported"), m);
    }

    @Test
    void notAFolder(@TempDir Path dir) {
        String m = oneLineError(dir.resolve("missing"));
        assertTrue(m.contains("not a folder"), m);
    }

    /** A component we do not implement changes ids, so it is refused in one line naming it. */
    @Test
    void unknownComponentsAreRefused(@TempDir Path dir) throws Exception {
        String good = TinyByteLevelTest.json(true, TinyByteLevelTest.TEMPLATE);
        String[][] cases = {
                {"{\"type\": \"Split\", \"pattern\": {\"String\": \" \"}", "{\"type\": \"Digits\", \"individual_digits\": true", "pre_tokenizer Digits is not supported"},
                {"{\"type\": \"NFKC\"}", "{\"type\": \"Precompiled\", \"precompiled_charsmap\": \"\"}", "normalizer Precompiled is not supported"},
                {"{\"type\": \"TemplateProcessing\"", "{\"type\": \"SomethingNew\"", "post_processor SomethingNew is not supported"},
                {"\"decoder\": {\"type\": \"ByteLevel\"", "\"decoder\": {\"type\": \"WordPiece\"", "decoder WordPiece is not supported for byte-level BPE"},
                {"\"behavior\": \"MergedWithNext\"", "\"behavior\": \"Sideways\"", "pre_tokenizer Split behavior \"Sideways\" is not supported"},
                {"{\"String\": \" \"}", "{\"Regex\": \"\\\\G\\\\s\"}", "pre_tokenizer Split regex \"\\G\\s\" is not supported: the escape \\G"},
                {"{\"String\": \" \"}", "{\"Regex\": \"(?<x_y>a)\"}", "pre_tokenizer Split regex \"(?<x_y>a)\" is not supported: java.util.regex cannot compile it"},
                {"\"special\": true, \"normalized\": false}", "\"special\": true, \"normalized\": false, \"lstrip\": true}", "added token \"<|bos|>\" has lstrip true"},
        };
        for (String[] c : cases) {
            String json = good.replace(c[0], c[1]);
            if (json.equals(good)) throw new IllegalStateException("case does not apply: " + c[0]);
            Files.writeString(dir.resolve("tokenizer.json"), json);
            String m = oneLineError(dir);
            assertTrue(m.startsWith(dir.resolve("tokenizer.json") + ": " + c[2]), () -> "expected " + c[2] + " in: " + m);
        }
    }

    @Test
    void splitSpecialTokensIsRefused(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), TinyByteLevelTest.json(true, TinyByteLevelTest.TEMPLATE));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"split_special_tokens\": true}");
        String m = oneLineError(dir);
        assertTrue(m.startsWith(dir.resolve("tokenizer_config.json") + ": split_special_tokens true is not supported"), m);
    }

    /** A hand-made SentencePiece BPE: merges by rank, byte fallback, fused unk, decode chain. */
    @Test
    void tinySentencePiece(@TempDir Path dir) throws Exception {
        String json = """
                {"added_tokens": [{"id": 0, "content": "<unk>", "special": true}, {"id": 1, "content": "<s>", "special": true}],
                 "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
                                {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
                 "pre_tokenizer": null,
                 "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
                 "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
                     {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
                 "model": {"type": "BPE", "unk_token": "<unk>", "fuse_unk": true, "byte_fallback": true,
                   "vocab": {"<unk>": 0, "<s>": 1, "<0xC3>": 2, "<0xA9>": 3, "▁": 4, "a": 5, "b": 6, "▁a": 7, "ab": 8, "▁ab": 9},
                   "merges": [["a", "b"], ["▁", "a"], ["▁", "ab"]]}}
                """;
        Files.writeString(dir.resolve("tokenizer.json"), json);
        Tokenizer t = Tokenizer.load(dir);
        // "ab" merges first (rank 0), then "▁a", then "▁"+"ab"; é falls back to its two bytes; ☃☃ (no byte tokens) is one fused unk
        assertArrayEquals(new int[] {1, 9, 7, 2, 3, 0}, t.encode("ab aé☃☃"));
        assertEquals("ab aé", t.decode(t.encode("ab aé☃☃")));
        assertArrayEquals(new int[] {1}, t.encode(""));
        assertEquals(10, t.vocabSize());
    }
}

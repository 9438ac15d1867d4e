package dev.emo.tokenizers;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.emo.embedding.MiniLmReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * Our WordPiece against Hugging Face's own Rust tokenizer (through DJL) on all-MiniLM-L6-v2's
 * tokenizer.json: exact ids with and without truncation, and decode, on the hand-made cases
 * (accents, CJK, emoji, control characters, special tokens in the text, over-long words, empty
 * strings) and on AG News texts.
 */
class WordPieceReferenceTest {
    private static final int[] MAX_LENGTHS = {3, 16, 128, 256};
    private static WordPieceTokenizer ours;
    private static HuggingFaceTokenizer ref;
    private static List<String> texts;

    @BeforeAll
    static void load() throws Exception {
        try (InputStream in = MiniLmReference.resource("all-minilm-l6-v2-tokenizer.json")) {
            ours = WordPieceTokenizer.fromTokenizerJson(in, "classpath:all-minilm-l6-v2-tokenizer.json");
        }
        ref = MiniLmReference.tokenizer(0);
        texts = new ArrayList<>();
        MiniLmReference.cases().forEach(c -> texts.add(c.text()));
        texts.addAll(MiniLmReference.agNews(300));
    }

    @AfterAll
    static void close() {
        if (ref != null) ref.close();
    }

    @TestFactory
    Stream<DynamicTest> idsAndDecodeMatchHuggingFace() {
        return texts.stream().map(text -> DynamicTest.dynamicTest(label(text), () -> {
            long[] expected = ref.encode(text).getIds();
            int[] ids = ours.encode(text);
            assertArrayEquals(expected, Arrays.stream(ids).asLongStream().toArray(), text);
            assertEquals(ref.decode(expected, false), ours.decode(ids, false), "decode keeping special tokens");
            assertEquals(ref.decode(expected, true), ours.decode(ids, true), "decode skipping special tokens");
        }));
    }

    @Test
    void truncationMatchesHuggingFace() throws Exception {
        for (int max : MAX_LENGTHS) {
            try (HuggingFaceTokenizer truncating = MiniLmReference.tokenizer(max)) {
                for (String text : texts) {
                    long[] expected = truncating.encode(text).getIds();
                    assertArrayEquals(expected, Arrays.stream(ours.encode(text, max)).asLongStream().toArray(), "max " + max + ": " + label(text));
                }
            }
        }
    }

    /** Tokenizer.load picks WordPiece from a BERT folder's tokenizer.json. */
    @Test
    void loadsFromAFolder(@TempDir Path dir) throws Exception {
        try (InputStream in = MiniLmReference.resource("all-minilm-l6-v2-tokenizer.json")) {
            Files.copy(in, dir.resolve("tokenizer.json"));
        }
        Tokenizer t = Tokenizer.load(dir);
        assertInstanceOf(WordPieceTokenizer.class, t);
        for (String text : texts.subList(0, 20)) assertArrayEquals(ours.encode(text), t.encode(text), label(text));
        assertEquals(30522, t.vocabSize());
        assertEquals(101, t.bosId(), "[CLS]");
        assertEquals(102, t.eosId(), "[SEP]");
        assertEquals(0, t.padId(), "[PAD]");
    }

    private static String label(String text) {
        String s = text.replaceAll("\\p{Cntrl}", "·");
        return s.length() > 60 ? s.substring(0, 60) + "…" : s.isEmpty() ? "(empty)" : s;
    }
}

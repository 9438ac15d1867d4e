package dev.emo.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** tokenizer.json normalizers, with expectations from Unicode's normal forms and HF's normalizer tests. */
class NormalizersTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FILE = Path.of("tokenizer.json");

    private static UnaryOperator<String> of(String json) throws Exception {
        JsonNode n = JSON.readTree(json);
        return Normalizers.of(n, FILE);
    }

    @Test
    void unicodeForms() throws Exception {
        String decomposed = "e\u0301", composed = "\u00e9", ligature = "\ufb01"; // é as e + acute; the fi ligature
        assertEquals(composed, of("{\"type\": \"NFC\"}").apply(decomposed));
        assertEquals(decomposed, of("{\"type\": \"NFD\"}").apply(composed));
        assertEquals(ligature, of("{\"type\": \"NFC\"}").apply(ligature), "NFC keeps compatibility characters");
        assertEquals("fi", of("{\"type\": \"NFKC\"}").apply(ligature));
        assertEquals("ABC", of("{\"type\": \"NFKC\"}").apply("ＡＢＣ"));
        assertEquals("fie\u0301", of("{\"type\": \"NFKD\"}").apply(ligature + composed));
    }

    @Test
    void sequenceRunsInOrder() throws Exception {
        UnaryOperator<String> n = of("""
                {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"},
                 {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}, {"type": "Prepend", "prepend": "▁"}]}""");
        assertEquals("▁ab▁c", n.apply("ＡB c"));
        assertEquals("", n.apply(""), "Prepend adds nothing to empty text");
    }

    @Test
    void lowercaseIsCharByChar() throws Exception {
        // Rust's char::to_lowercase: a final capital sigma is σ (Java's String.toLowerCase would give ς); İ is i + dot
        assertEquals("οδοσ", of("{\"type\": \"Lowercase\"}").apply("ΟΔΟΣ"));
        assertEquals("i\u0307", of("{\"type\": \"Lowercase\"}").apply("İ"));
    }

    @Test
    void replaceWithRegex() throws Exception { // HF normalizer.rs replace test
        UnaryOperator<String> n = of("{\"type\": \"Replace\", \"pattern\": {\"Regex\": \"\\\\s+\"}, \"content\": \"_\"}");
        assertEquals("_Hello_friend_", n.apply(" Hello   friend "));
        assertEquals("a$1b", of("{\"type\": \"Replace\", \"pattern\": {\"Regex\": \"-\"}, \"content\": \"$1\"}").apply("a-b"),
                "content is literal text");
    }

    @Test
    void noneIsIdentity() throws Exception {
        assertSame(UnaryOperator.identity(), Normalizers.of(null, FILE));
        assertSame(UnaryOperator.identity(), of("null"));
    }

    @Test
    void unknownNormalizerIsRefusedInOneLine() {
        for (String type : new String[] {"Precompiled", "NFKC_Casefold", "Strip", "BertNormalizer"}) {
            TokenizerException e = assertThrows(TokenizerException.class,
                    () -> of("{\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"NFC\"}, {\"type\": \"" + type + "\"}]}"));
            String m = e.getMessage();
            assertTrue(m.startsWith(FILE + ": normalizer " + type + " is not supported; "), m);
            assertFalse(m.contains("\n"), m);
        }
    }

    @Test
    void replaceRegexJavaCannotRunIsRefused() {
        TokenizerException e = assertThrows(TokenizerException.class,
                () -> of("{\"type\": \"Replace\", \"pattern\": {\"Regex\": \"\\\\bx\"}, \"content\": \"\"}"));
        assertTrue(e.getMessage().contains("normalizer Replace regex \"\\bx\" is not supported: the word boundary"), e.getMessage());
    }
}

package dev.emo.tokenizers;

import org.junit.jupiter.api.Test;

import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Oniguruma's Unicode escapes translated for java.util.regex, and the constructs refused. */
class OnigRegexTest {
    private static boolean matches(String onig, String s) {
        return OnigRegex.compile(onig).matcher(s).matches();
    }

    @Test
    void spaceIsUnicodeWhiteSpace() {
        for (String ws : new String[] {" ", "\t", "\n", "\u000b", "\u0085", "\u00a0", "\u2009", "\u2028", "\u3000"})
            assertTrue(matches("\\s", ws), () -> "\\s should match U+" + Integer.toHexString(ws.charAt(0)));
        assertFalse(matches("\\s", "\u200b"), "zero-width space is not White_Space");
        assertTrue(matches("[^\\s\\p{L}]", "\u200b"));
        assertFalse(matches("[^\\s\\p{L}]", "\u00a0"));
        assertTrue(matches("a(?!\\S)", "a"));
    }

    @Test
    void wordDigitAndHexAreOnigurumas() {
        assertTrue(matches("\\w+", "é_²٣"), "\\w: letters, marks, all numbers, connector punctuation");
        assertFalse(matches("\\w", "\u24b6"), "circled A is a symbol (So), not a word char for Onig");
        assertTrue(matches("\\d", "٣"), "\\d: any decimal digit");
        assertFalse(matches("\\d", "²"), "superscript two is No, not Nd");
        assertTrue(matches("\\h+", "0aF"), "\\h is a hex digit in Onig (horizontal space in Java)");
        assertFalse(matches("\\h", " "));
        assertTrue(matches("\\v", "\u000b"));
        assertFalse(matches("\\v", "\n"), "\\v is only the vertical tab in Onig");
    }

    @Test
    void propertiesAndIntervals() {
        assertFalse(matches("\\p{^L}", "a"), "\\p{^L} is not-a-letter");
        assertTrue(matches("\\p{^L}\\P{N}", "1-"));
        assertTrue(matches("\\p{Han}+", "中文"));
        assertTrue(matches("a{,2}", "aa"));
        assertFalse(matches("a{,2}", "aaa"));
        assertTrue(matches("(?i:AB)c", "abc"));
        assertFalse(matches("(?i:AB)c", "abC"));
        assertTrue(matches("(?m:a.b)", "a\nb"), "Onig's (?m) is dot-all");
        assertTrue(matches("[]a]+", "]a"), "']' first in a class is literal");
    }

    @Test
    void refusesWhatJavaRunsDifferently() {
        for (String p : new String[] {"\\bword", "[[:alpha:]]", "^a", "a$", "\\p{Alpha}", "\\p{InBasic_Latin}", "(?x)a",
                "\\Ga", "\\X", "\\R", "a{1,2}+", "[\\W]", "(a"}) {
            OnigRegex.Unsupported e = assertThrows(OnigRegex.Unsupported.class, () -> OnigRegex.compile(p), p);
            assertFalse(e.getMessage().isBlank(), p);
        }
    }

    @Test
    void escapedSymbolsStayLiteral() {
        Pattern p = OnigRegex.compile("\\.\\\\\\-\\{");
        assertTrue(p.matcher(".\\-{").matches());
    }
}

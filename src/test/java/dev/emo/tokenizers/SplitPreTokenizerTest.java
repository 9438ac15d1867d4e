package dev.emo.tokenizers;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static dev.emo.tokenizers.SplitPreTokenizer.Behavior.Contiguous;
import static dev.emo.tokenizers.SplitPreTokenizer.Behavior.Isolated;
import static dev.emo.tokenizers.SplitPreTokenizer.Behavior.MergedWithNext;
import static dev.emo.tokenizers.SplitPreTokenizer.Behavior.MergedWithPrevious;
import static dev.emo.tokenizers.SplitPreTokenizer.Behavior.Removed;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The Split pre-tokenizer against the expectations of HF tokenizers' own unit tests
 * (pre_tokenizers/split.rs {@code basic}, {@code invert}; tokenizer/normalizer.rs {@code split}), and
 * the Llama 3 / Qwen2 Split regexes on small strings, pieces worked out by hand from Oniguruma's
 * semantics (Unicode \s, \p{L}, \p{N}, leftmost alternative first).
 */
class SplitPreTokenizerTest {
    static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String QWEN = LLAMA3.replace("\\p{N}{1,3}", "\\p{N}");

    static List<String> split(Pattern p, SplitPreTokenizer.Behavior b, boolean invert, String s) {
        List<String> out = new ArrayList<>();
        new SplitPreTokenizer(p, b, invert).split(s, (t, start) -> {
            assertEquals(t, s.substring(start, start + t.length()), "start offset of " + t);
            out.add(t);
        });
        return out;
    }

    static List<String> regex(String onig, String s) {
        return split(OnigRegex.compile(onig), Isolated, false, s);
    }

    @Test
    void behaviorsOnAWordRegexInverted() { // split.rs basic: the regex matches words, invert makes the gaps the delimiters
        Pattern words = OnigRegex.compile("\\w+|[^\\w\\s]+");
        String s = "How are you doing?";
        assertEquals(List.of("How", "are", "you", "doing", "?"), split(words, Removed, true, s));
        assertEquals(List.of("How", " ", "are", " ", "you", " ", "doing", "?"), split(words, Isolated, true, s));
        assertEquals(List.of("How ", "are ", "you ", "doing", "?"), split(words, MergedWithPrevious, true, s));
        assertEquals(List.of("How", " are", " you", " doing", "?"), split(words, MergedWithNext, true, s));
        assertEquals(List.of("How", " ", "are", " ", "you", " ", "doing?"), split(words, Contiguous, true, s));
    }

    @Test
    void behaviorsOnADash() { // normalizer.rs split: "The-final--countdown" cut at '-'
        Pattern dash = OnigRegex.literal("-");
        String s = "The-final--countdown";
        assertEquals(List.of("The", "final", "countdown"), split(dash, Removed, false, s));
        assertEquals(List.of("The", "-", "final", "-", "-", "countdown"), split(dash, Isolated, false, s));
        assertEquals(List.of("The-", "final-", "-", "countdown"), split(dash, MergedWithPrevious, false, s));
        assertEquals(List.of("The", "-final", "-", "-countdown"), split(dash, MergedWithNext, false, s));
        assertEquals(List.of("The", "-", "final", "--", "countdown"), split(dash, Contiguous, false, s));
    }

    @Test
    void stringAndRegexAndInvertAgree() { // split.rs regex_string and invert
        assertEquals(List.of("Hey,", "man!"), split(OnigRegex.compile("\\s+"), Removed, false, "Hey, man!"));
        assertEquals(List.of("Hey,", "man!"), split(OnigRegex.literal(" "), Removed, false, "Hey, man!"));
        List<String> bySpace = split(OnigRegex.literal(" "), Removed, false, "Hello Hello Hello");
        assertEquals(List.of("Hello", "Hello", "Hello"), bySpace);
        assertEquals(bySpace, split(OnigRegex.literal("Hello"), Removed, true, "Hello Hello Hello"));
    }

    @Test
    void literalPatternIsNotARegex() {
        assertEquals(List.of("a", "b", "c"), split(OnigRegex.literal("."), Removed, false, "a.b.c"));
        assertEquals(List.of("abc"), split(OnigRegex.literal("."), Removed, false, "abc"));
    }

    @Test
    void emptyTextGivesNoPiece() {
        assertEquals(List.of(), regex(LLAMA3, ""));
    }

    @Test
    void llama3Regex() {
        // contractions in any case; a letter run takes one leading non-letter; digits in threes
        assertEquals(List.of("I", "'m", " sure", " DON", "'T"), regex(LLAMA3, "I'm sure DON'T"));
        assertEquals(List.of("123", "456", "7", " x", "12"), regex(LLAMA3, "1234567 x12"));
        // the last space of a run goes to the next word (\s+(?!\S)); newlines gather with the whitespace before them
        assertEquals(List.of("a", "  ", " b", "  \n\n", "c"), regex(LLAMA3, "a   b  \n\nc"));
        // punctuation takes one leading space and trailing newlines
        assertEquals(List.of("x", " ...\n", "y"), regex(LLAMA3, "x ...\ny"));
        // \s is Unicode White_Space: NBSP and thin space are spaces, not "other" chars
        assertEquals(List.of("a", "\u00a0", "\u2009b"), regex(LLAMA3, "a\u00a0\u2009b"));
        // a supplementary letter is one code point; an emoji is "other"
        assertEquals(List.of("\uD835\uDC00x", " \uD83D\uDE00"), regex(LLAMA3, "\uD835\uDC00x \uD83D\uDE00"));
    }

    @Test
    void qwenRegexSplitsDigitsOneByOne() {
        assertEquals(List.of("1", "2", "3", " ", "4"), regex(QWEN, "123 4"));
    }

    @Test
    void caseInsensitiveContractionsFoldAsUnicodeDoes() {
        // Oniguruma folds over Unicode: the long s (U+017F) folds to s, so 'ſ is a contraction and
        // the x after it a word of its own (ASCII-only folding would give the letter run "'ſx")
        assertEquals(List.of("it", "'\u017f", "x"), regex(LLAMA3, "it'\u017fx"));
    }
}

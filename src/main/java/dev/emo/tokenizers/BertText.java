package dev.emo.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.text.Normalizer;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * BERT's text handling before WordPiece, as Hugging Face tokenizers' {@code BertNormalizer} and
 * {@code BertPreTokenizer} do it (the fast tokenizer, which is what tokenizer.json describes):
 * drop NUL/U+FFFD/control characters and map whitespace to ' ' (clean_text), put spaces around CJK
 * ideographs, strip accents (NFD, then drop non-spacing marks), lower-case, and finally split on
 * whitespace with every punctuation character a word of its own. Character classes follow Rust's
 * definitions (Unicode White_Space; "other" = Cc/Cf/Co), not Java's own.
 */
final class BertText {
    private final boolean cleanText, chineseChars, stripAccents, lowercase;

    BertText(boolean cleanText, boolean chineseChars, boolean stripAccents, boolean lowercase) {
        this.cleanText = cleanText;
        this.chineseChars = chineseChars;
        this.stripAccents = stripAccents;
        this.lowercase = lowercase;
    }

    /** From tokenizer.json's normalizer (BertNormalizer or none) and pre_tokenizer (BertPreTokenizer). */
    static BertText fromJson(JsonNode normalizer, JsonNode preTokenizer, Path file) {
        String pre = preTokenizer == null || preTokenizer.isNull() ? "none" : preTokenizer.path("type").asText();
        if (!pre.equals("BertPreTokenizer"))
            throw TokenizerException.of(file, "pre_tokenizer " + pre + " is not supported for WordPiece (only BertPreTokenizer)",
                    "use a BERT-family tokenizer.json");
        if (normalizer == null || normalizer.isNull()) return new BertText(false, false, false, false);
        if (!normalizer.path("type").asText().equals("BertNormalizer"))
            throw TokenizerException.of(file, "normalizer " + normalizer.path("type").asText() + " is not supported for WordPiece (only BertNormalizer)",
                    "use a BERT-family tokenizer.json");
        boolean lower = normalizer.path("lowercase").asBoolean(true);
        JsonNode strip = normalizer.path("strip_accents");
        // HF: strip_accents = null means "follow lowercase"
        boolean stripAccents = strip.isBoolean() ? strip.asBoolean() : lower;
        return new BertText(normalizer.path("clean_text").asBoolean(true), normalizer.path("handle_chinese_chars").asBoolean(true),
                stripAccents, lower);
    }

    boolean lowercases() {
        return lowercase;
    }

    /** The normalizer's output, in HF's order: clean, CJK spacing, strip accents, lower-case. */
    String normalize(String text) {
        StringBuilder b = new StringBuilder(text.length() + 8);
        text.codePoints().forEach(c -> {
            if (cleanText) {
                if (c == 0 || c == 0xFFFD || isControl(c)) return;
                if (isWhitespace(c)) c = ' ';
            }
            if (chineseChars && isChinese(c)) b.append(' ').appendCodePoint(c).append(' ');
            else b.appendCodePoint(c);
        });
        String s = b.toString();
        if (stripAccents) {
            String nfd = Normalizer.normalize(s, Normalizer.Form.NFD);
            b.setLength(0);
            nfd.codePoints().filter(c -> Character.getType(c) != Character.NON_SPACING_MARK).forEach(b::appendCodePoint);
            s = b.toString();
        }
        if (lowercase) {
            // per code point like Rust's char::to_lowercase: full mappings (İ -> i̇) but no context rules (final sigma)
            b.setLength(0);
            s.codePoints().forEach(c -> b.append(Character.toString(c).toLowerCase(Locale.ROOT)));
            s = b.toString();
        }
        return s;
    }

    /** BertPreTokenizer: words between whitespace, each punctuation character on its own. */
    static void words(String normalized, Consumer<String> out) {
        int start = -1;
        for (int i = 0; i < normalized.length(); ) {
            int c = normalized.codePointAt(i);
            int next = i + Character.charCount(c);
            if (isWhitespace(c) || isPunctuation(c)) {
                if (start >= 0) out.accept(normalized.substring(start, i));
                start = -1;
                if (!isWhitespace(c)) out.accept(normalized.substring(i, next));
            } else if (start < 0) {
                start = i;
            }
            i = next;
        }
        if (start >= 0) out.accept(normalized.substring(start));
    }

    /** Unicode White_Space (Rust's char::is_whitespace); Java's isWhitespace leaves out no-break spaces. */
    static boolean isWhitespace(int c) {
        return (c >= 0x09 && c <= 0x0D) || c == 0x85 || Character.isSpaceChar(c);
    }

    /**
     * Rust unicode_categories' is_other, tab/newline/return excepted: Cc, Cf, Co. Its tables list no
     * unassigned (Cn) code points, so those are kept (and become [UNK]), as measured against HF.
     */
    static boolean isControl(int c) {
        if (c == '\t' || c == '\n' || c == '\r') return false;
        int t = Character.getType(c);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.PRIVATE_USE || t == Character.SURROGATE;
    }

    /** ASCII punctuation (which includes symbols such as $ + < = > ^ ` | ~) or a Unicode P* category. */
    static boolean isPunctuation(int c) {
        if (c < 128) return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
        return switch (Character.getType(c)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    /** The CJK ideograph blocks BERT isolates (not Hangul or kana, which it treats as letters). */
    static boolean isChinese(int c) {
        return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
                || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF)
                || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
    }
}

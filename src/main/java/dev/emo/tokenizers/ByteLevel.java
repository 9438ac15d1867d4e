package dev.emo.tokenizers;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * GPT-2's byte-level alphabet: every byte is shown as one printable char (bytes_to_unicode), so BPE
 * runs over chars yet covers any UTF-8 input; plus GPT-2's pre-tokenizer regex.
 */
final class ByteLevel {
    private ByteLevel() {}

    /**
     * GPT-2's split pattern. Python's {@code regex} (and HF's Oniguruma) read {@code \s} as Unicode
     * White_Space, which Java spells {@code \p{IsWhite_Space}}; Java's plain {@code \s} is ASCII-only.
     * {@code \p{L}} and {@code \p{N}} are Unicode categories in all three and match by code point.
     */
    static final Pattern GPT2_SPLIT = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\p{IsWhite_Space}\\p{L}\\p{N}]+"
                    + "|\\p{IsWhite_Space}+(?!\\P{IsWhite_Space})|\\p{IsWhite_Space}+");

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        // printable Latin-1 bytes stand for themselves; the rest are moved to 256.. in byte order
        Arrays.fill(CHAR_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + n++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xff];
    }

    /** The byte-level form of the text: its UTF-8 bytes, one char each. */
    static String encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        char[] cs = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) cs[i] = BYTE_TO_CHAR[bytes[i] & 0xff];
        return new String(cs);
    }

    /**
     * Appends the bytes a token stands for. As HF's ByteLevel decoder: a token with any char outside
     * the alphabet (an added token such as "<think>中") is written as its own UTF-8, whole.
     */
    static void appendBytes(String token, ByteArrayOutputStream out) {
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c >= CHAR_TO_BYTE.length || CHAR_TO_BYTE[c] < 0) {
                out.writeBytes(token.getBytes(StandardCharsets.UTF_8));
                return;
            }
        }
        for (int i = 0; i < token.length(); i++) out.write(CHAR_TO_BYTE[token.charAt(i)]);
    }
}

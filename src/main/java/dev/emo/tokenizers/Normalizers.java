package dev.emo.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code normalizer} of a BPE tokenizer.json as one text function: Sequence, Prepend, Replace,
 * NFC/NFD/NFKC/NFKD, Lowercase. Any other type is refused: a normalizer changes the ids, so it may
 * not be skipped. (BERT's normalizer is {@link BertText}'s business.)
 */
final class Normalizers {
    private static final String FIX = "use a tokenizer.json whose normalizer is built from Sequence, Prepend, Replace, "
            + "NFC, NFD, NFKC, NFKD or Lowercase";

    private Normalizers() {}

    /** The normalizer, or the identity where there is none. */
    static UnaryOperator<String> of(JsonNode normalizer, Path file) {
        List<UnaryOperator<String>> steps = new ArrayList<>();
        add(normalizer, file, steps);
        if (steps.isEmpty()) return UnaryOperator.identity();
        if (steps.size() == 1) return steps.get(0);
        return s -> {
            for (UnaryOperator<String> step : steps) s = step.apply(s);
            return s;
        };
    }

    private static void add(JsonNode n, Path file, List<UnaryOperator<String>> steps) {
        if (n == null || n.isNull()) return;
        String type = n.path("type").asText();
        switch (type) {
            case "Sequence" -> {
                for (JsonNode c : n.path("normalizers")) add(c, file, steps);
            }
            case "Prepend" -> {
                String p = n.path("prepend").asText();
                steps.add(s -> s.isEmpty() ? s : p + s); // HF prepends nothing to empty text
            }
            case "Replace" -> steps.add(replacer(n, file, "normalizer"));
            case "NFC", "NFD", "NFKC", "NFKD" -> {
                Normalizer.Form form = Normalizer.Form.valueOf(type);
                steps.add(s -> Normalizer.normalize(s, form));
            }
            case "Lowercase" -> steps.add(Normalizers::lowercase);
            default -> throw TokenizerException.of(file, "normalizer " + (type.isEmpty() ? n.toString() : type) + " is not supported", FIX);
        }
    }

    /**
     * HF lower-cases char by char (Rust's char::to_lowercase, full mappings such as İ to i + U+0307),
     * so a word-final capital sigma becomes σ, where Java's String.toLowerCase writes the final form ς.
     * One code point at a time, Java's toLowerCase is that same mapping.
     */
    static String lowercase(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> b.append(new String(Character.toChars(cp)).toLowerCase(Locale.ROOT)));
        return b.toString();
    }

    /** A Replace step ({"pattern": {"String"|"Regex": ...}, "content": ...}), shared with the decoders. */
    static UnaryOperator<String> replacer(JsonNode n, Path file, String where) {
        String content = n.path("content").asText();
        JsonNode pat = n.path("pattern");
        if (pat.path("String").isTextual()) {
            String from = pat.get("String").asText();
            return s -> s.replace(from, content);
        }
        if (pat.path("Regex").isTextual()) {
            String re = pat.get("Regex").asText();
            Pattern p;
            try {
                p = OnigRegex.compile(re);
            } catch (OnigRegex.Unsupported e) {
                throw TokenizerException.of(file, where + " Replace regex " + TokenizerJson.quote(re) + " is not supported: " + e.getMessage(),
                        "use a tokenizer.json whose Replace pattern java.util.regex can run");
            }
            String rep = Matcher.quoteReplacement(content);
            return s -> p.matcher(s).replaceAll(rep);
        }
        throw JsonFiles.bad(file, where + " Replace step without a String or Regex pattern");
    }
}

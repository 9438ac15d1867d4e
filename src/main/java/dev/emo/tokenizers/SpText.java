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
 * The text side of a SentencePiece-style tokenizer.json: its normalizer steps, then its pre-tokenizer
 * (none: the whole piece is one word; Metaspace: spaces to "▁", optional prepend, optional split
 * before each "▁"). Older LLaMA files use the normalizer, newer ones Metaspace; both are read here.
 */
final class SpText {
    private static final String FIX = "use a LLaMA-style tokenizer.json (Prepend/Replace normalizer or Metaspace pre-tokenizer)";

    private final List<UnaryOperator<String>> normalizers = new ArrayList<>();
    private final String metaspace; // replacement char, or null without a Metaspace pre-tokenizer
    private final String prependScheme; // always | first | never
    private final boolean split;

    SpText(JsonNode normalizer, JsonNode preTokenizer, Path file) {
        addNormalizer(normalizer, file);
        if (preTokenizer == null || preTokenizer.isNull()) {
            metaspace = null;
            prependScheme = "never";
            split = false;
        } else if ("Metaspace".equals(preTokenizer.path("type").asText())) {
            metaspace = preTokenizer.path("replacement").asText("\u2581");
            prependScheme = prependScheme(preTokenizer);
            split = preTokenizer.path("split").asBoolean(true);
        } else {
            throw TokenizerException.of(file, "pre_tokenizer " + preTokenizer.path("type").asText()
                    + " is not supported for SentencePiece BPE", FIX);
        }
    }

    /** Metaspace's prepend_scheme, or the older boolean add_prefix_space */
    static String prependScheme(JsonNode node) {
        if (node.has("prepend_scheme")) return node.get("prepend_scheme").asText();
        return node.path("add_prefix_space").asBoolean(true) ? "always" : "never";
    }

    private void addNormalizer(JsonNode n, Path file) {
        if (n == null || n.isNull()) return;
        String type = n.path("type").asText();
        switch (type) {
            case "Sequence" -> {
                for (JsonNode c : n.path("normalizers")) addNormalizer(c, file);
            }
            case "Prepend" -> {
                String p = n.path("prepend").asText();
                normalizers.add(s -> s.isEmpty() ? s : p + s); // HF prepends nothing to empty text
            }
            case "Replace" -> {
                UnaryOperator<String> r = replacer(n, file);
                normalizers.add(r);
            }
            case "NFC", "NFD", "NFKC", "NFKD" -> {
                Normalizer.Form form = Normalizer.Form.valueOf(type);
                normalizers.add(s -> Normalizer.normalize(s, form));
            }
            case "Lowercase" -> normalizers.add(s -> s.toLowerCase(Locale.ROOT));
            default -> throw TokenizerException.of(file, "normalizer " + type + " is not supported", FIX);
        }
    }

    /** a Replace step ({"pattern": {"String"|"Regex": ...}, "content": ...}), shared with the decoder */
    static UnaryOperator<String> replacer(JsonNode n, Path file) {
        String content = n.path("content").asText();
        JsonNode pat = n.path("pattern");
        if (pat.has("String")) {
            String from = pat.get("String").asText();
            return s -> s.replace(from, content);
        }
        if (pat.has("Regex")) {
            Pattern p = Pattern.compile(pat.get("Regex").asText());
            String rep = Matcher.quoteReplacement(content);
            return s -> p.matcher(s).replaceAll(rep);
        }
        throw JsonFiles.bad(file, "Replace step without a String or Regex pattern");
    }

    /** The words BPE sees for a piece of text that holds no added token. */
    List<String> words(String piece, boolean atStart) {
        String s = piece;
        for (UnaryOperator<String> n : normalizers) s = n.apply(s);
        if (metaspace == null) return s.isEmpty() ? List.of() : List.of(s);
        s = s.replace(" ", metaspace);
        boolean prepend = prependScheme.equals("always") || (prependScheme.equals("first") && atStart);
        if (prepend && !s.isEmpty() && !s.startsWith(metaspace)) s = metaspace + s;
        if (s.isEmpty()) return List.of();
        if (!split) return List.of(s);
        // split before each replacement char, keeping it with the word that follows (MergedWithNext)
        List<String> out = new ArrayList<>();
        int from = 0;
        for (int i = s.indexOf(metaspace, 1); i >= 0; i = s.indexOf(metaspace, i + 1)) {
            if (i > from) out.add(s.substring(from, i));
            from = i;
        }
        out.add(s.substring(from));
        return out;
    }
}

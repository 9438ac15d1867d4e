package dev.emo.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The decoder chain of a SentencePiece-style tokenizer.json, step by step as HF runs it over the token
 * list: Replace (per token), ByteFallback (runs of {@code <0xNN>} become their UTF-8 text, or one
 * U+FFFD per byte if invalid), Fuse (join), Strip (per token), Metaspace ("▁" to space, first token
 * loses its "▁"s). The tokens left at the end are concatenated.
 */
final class SpDecoder {
    private static final String FIX = "use a LLaMA-style tokenizer.json (Replace/ByteFallback/Fuse/Strip or Metaspace decoder)";
    private final List<UnaryOperator<List<String>>> steps = new ArrayList<>();

    SpDecoder(JsonNode decoder, Path file) {
        add(decoder, file);
    }

    private void add(JsonNode d, Path file) {
        if (d == null || d.isNull()) return;
        String type = d.path("type").asText();
        switch (type) {
            case "Sequence" -> {
                for (JsonNode c : d.path("decoders")) add(c, file);
            }
            case "Replace" -> {
                UnaryOperator<String> r = Normalizers.replacer(d, file, "decoder");
                steps.add(ts -> ts.stream().map(r).toList());
            }
            case "ByteFallback" -> steps.add(SpDecoder::byteFallback);
            case "Fuse" -> steps.add(ts -> List.of(String.join("", ts)));
            case "Strip" -> {
                String content = d.path("content").asText(" ");
                int start = d.path("start").asInt(0), stop = d.path("stop").asInt(0);
                steps.add(ts -> ts.stream().map(t -> strip(t, content, start, stop)).toList());
            }
            case "Metaspace" -> {
                String rep = d.path("replacement").asText("\u2581");
                boolean dropFirst = !PreTokenizers.prependScheme(d).equals("never");
                steps.add(ts -> {
                    List<String> out = new ArrayList<>(ts.size());
                    for (int i = 0; i < ts.size(); i++) out.add(ts.get(i).replace(rep, i == 0 && dropFirst ? "" : " "));
                    return out;
                });
            }
            default -> throw TokenizerException.of(file, "decoder " + type + " is not supported for SentencePiece BPE", FIX);
        }
    }

    String decode(List<String> tokens) {
        List<String> ts = tokens;
        for (UnaryOperator<List<String>> s : steps) ts = s.apply(ts);
        return String.join("", ts);
    }

    private static List<String> byteFallback(List<String> tokens) {
        List<String> out = new ArrayList<>(tokens.size());
        ByteArrayOutputStream pending = new ByteArrayOutputStream();
        for (String t : tokens) {
            int b = byteOf(t);
            if (b >= 0) {
                pending.write(b);
                continue;
            }
            flush(pending, out);
            out.add(t);
        }
        flush(pending, out);
        return out;
    }

    private static void flush(ByteArrayOutputStream pending, List<String> out) {
        if (pending.size() == 0) return;
        byte[] bytes = pending.toByteArray();
        pending.reset();
        try {
            out.add(StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException e) {
            for (int i = 0; i < bytes.length; i++) out.add("\uFFFD");
        }
    }

    /** the byte of a {@code <0xNN>} token, else -1 */
    static int byteOf(String t) {
        if (t.length() != 6 || !t.startsWith("<0x") || t.charAt(5) != '>') return -1;
        int hi = Character.digit(t.charAt(3), 16), lo = Character.digit(t.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    private static String strip(String t, String content, int start, int stop) {
        if (content.isEmpty()) return t;
        int from = 0, to = t.length();
        for (int i = 0; i < start && t.startsWith(content, from); i++) from += content.length();
        for (int i = 0; i < stop && to - content.length() >= from && t.startsWith(content, to - content.length()); i++)
            to -= content.length();
        return t.substring(from, to);
    }
}

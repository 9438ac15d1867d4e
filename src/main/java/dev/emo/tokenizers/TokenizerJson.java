package dev.emo.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The parts of a Hugging Face {@code tokenizer.json} that both BPE tokenizers read: the BPE model
 * (vocab, merges, flags), the added tokens, and the ids the post-processor puts around a text.
 * Normalizer, pre-tokenizer and decoder are left as JSON for the tokenizer that interprets them.
 */
final class TokenizerJson {
    final Path file;
    final JsonNode root;
    final JsonNode model;
    final Map<String, Integer> vocab;
    final List<String[]> merges;
    final List<AddedTokens.Token> added;
    final int[] prefix, suffix;
    /** model.type is WordPiece (BERT family) rather than BPE */
    final boolean wordPiece;

    private TokenizerJson(Path file, JsonNode root) {
        this.file = file;
        this.root = root;
        if (!root.isObject()) throw JsonFiles.bad(file, "expected a JSON object");
        model = root.get("model");
        if (model == null || !model.isObject()) throw JsonFiles.bad(file, "no \"model\" object");
        String type = model.path("type").asText("BPE"); // files from old versions omit the type
        if (!type.equals("BPE") && !type.equals("WordPiece"))
            throw TokenizerException.of(file, "model type " + type + " is not supported (only BPE and WordPiece)",
                    "use a model whose tokenizer is byte-level BPE (GPT-2/OPT), SentencePiece BPE (LLaMA) or BERT WordPiece");
        wordPiece = type.equals("WordPiece");
        if (!wordPiece) {
            for (String f : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
                if (!model.path(f).asText("").isEmpty())
                    throw TokenizerException.of(file, "BPE " + f + " is not supported", "use a GPT-2/OPT/LLaMA tokenizer");
            }
            if (!model.path("dropout").isNull() && !model.path("dropout").isMissingNode() && model.path("dropout").asDouble() > 0)
                throw TokenizerException.of(file, "BPE dropout is not supported", "set model.dropout to null");
        }
        vocab = readVocab(model.get("vocab"), file);
        merges = readMerges(model.get("merges"), file);
        added = readAdded(root.get("added_tokens"), file);
        List<Integer> pre = new ArrayList<>(), post = new ArrayList<>();
        postProcessor(root.get("post_processor"), pre, post);
        prefix = pre.stream().mapToInt(Integer::intValue).toArray();
        suffix = post.stream().mapToInt(Integer::intValue).toArray();
    }

    static TokenizerJson read(Path file) {
        return new TokenizerJson(file, JsonFiles.read(file));
    }

    /** From a stream (a classpath resource); {@code label} names it in error messages. */
    static TokenizerJson read(Path label, java.io.InputStream in) {
        return new TokenizerJson(label, JsonFiles.read(label, in));
    }

    boolean flag(String field) {
        return model.path(field).asBoolean(false);
    }

    /** whether the pre-tokenizer or decoder is ByteLevel (anywhere inside a Sequence) */
    boolean isByteLevel() {
        return mentions(root.get("pre_tokenizer"), "ByteLevel") || mentions(root.get("decoder"), "ByteLevel");
    }

    static boolean mentions(JsonNode node, String type) {
        if (node == null || node.isNull()) return false;
        if (type.equals(node.path("type").asText())) return true;
        for (JsonNode child : node) if (child.isContainerNode() && mentions(child, type)) return true;
        return false;
    }

    /** ids of the added tokens marked special, which decode skips */
    Set<Integer> specialAddedIds() {
        Set<Integer> s = new TreeSet<>();
        for (AddedTokens.Token t : added) if (t.special()) s.add(t.id());
        return s;
    }

    /** id of the first of these tokens found in the added tokens or vocab, else -1 */
    int idOfAny(String... contents) {
        for (String c : contents) {
            for (AddedTokens.Token t : added) if (t.content().equals(c)) return t.id();
            Integer id = vocab.get(c);
            if (id != null) return id;
        }
        return -1;
    }

    static Map<String, Integer> readVocab(JsonNode node, Path file) {
        if (node == null || !node.isObject()) throw JsonFiles.bad(file, "vocab is not an object of token -> id");
        Map<String, Integer> vocab = new HashMap<>(node.size() * 2);
        var it = node.fields();
        while (it.hasNext()) {
            var e = it.next();
            if (!e.getValue().isIntegralNumber() || e.getValue().intValue() < 0)
                throw JsonFiles.bad(file, "vocab entry " + quote(e.getKey()) + " has no non-negative integer id");
            vocab.put(e.getKey(), e.getValue().intValue());
        }
        return vocab;
    }

    /** merges as "a b" strings (older files) or ["a", "b"] pairs (newer files) */
    private static List<String[]> readMerges(JsonNode node, Path file) {
        if (node == null || node.isNull()) return List.of();
        if (!node.isArray()) throw JsonFiles.bad(file, "model.merges is not a list");
        List<String[]> out = new ArrayList<>(node.size());
        for (JsonNode m : node) {
            String[] pair;
            if (m.isTextual()) pair = m.asText().split(" ", -1);
            else if (m.isArray()) pair = new String[] {m.path(0).asText(null), m.path(1).asText(null)};
            else pair = new String[0];
            if (pair.length != 2 || pair[0] == null || pair[1] == null || m.size() > 2)
                throw JsonFiles.bad(file, "merge #" + out.size() + " " + m + " is not a pair of tokens");
            out.add(pair);
        }
        return out;
    }

    private static List<AddedTokens.Token> readAdded(JsonNode node, Path file) {
        List<AddedTokens.Token> out = new ArrayList<>();
        if (node == null || node.isNull()) return out;
        for (JsonNode t : node) {
            if (!t.path("id").isIntegralNumber() || !t.path("content").isTextual())
                throw JsonFiles.bad(file, "added token " + t + " lacks id or content");
            String content = t.get("content").asText();
            for (String f : new String[] {"lstrip", "rstrip", "single_word"}) {
                if (t.path(f).asBoolean(false))
                    throw TokenizerException.of(file, "added token " + quote(content) + " has " + f + " true, which is not supported",
                            "use a tokenizer.json whose added tokens have lstrip, rstrip and single_word false");
            }
            boolean special = t.path("special").asBoolean(false);
            // HF's AddedToken: a special token is matched in the raw text unless the file says otherwise
            out.add(new AddedTokens.Token(content, t.get("id").intValue(), special, t.path("normalized").asBoolean(!special)));
        }
        return out;
    }

    /** The special ids the post-processor puts before and after a single sequence. */
    private void postProcessor(JsonNode pp, List<Integer> pre, List<Integer> post) {
        if (pp == null || pp.isNull()) return;
        switch (pp.path("type").asText()) {
            case "ByteLevel" -> { } // offsets only
            case "Sequence" -> {
                for (JsonNode p : pp.path("processors")) postProcessor(p, pre, post);
            }
            case "RobertaProcessing", "BertProcessing" -> {
                pre.add(pp.path("cls").path(1).asInt());
                post.add(pp.path("sep").path(1).asInt());
            }
            case "TemplateProcessing" -> {
                List<Integer> target = pre;
                for (JsonNode piece : pp.path("single")) {
                    if (piece.has("Sequence")) {
                        target = post;
                    } else if (piece.has("SpecialToken")) {
                        String id = piece.get("SpecialToken").path("id").asText();
                        JsonNode ids = pp.path("special_tokens").path(id).path("ids");
                        if (!ids.isArray() || ids.isEmpty())
                            throw JsonFiles.bad(file, "post_processor names special token " + quote(id) + " without ids");
                        for (JsonNode i : ids) target.add(i.asInt());
                    }
                }
            }
            default -> throw TokenizerException.of(file, "post_processor " + pp.path("type").asText() + " is not supported",
                    "use TemplateProcessing, ByteLevel, RobertaProcessing or BertProcessing");
        }
    }

    /** BPE merge table over ids; a merge whose parts or result are not in the vocab is an error, as in HF. */
    static BpeMerges mergeTable(List<String[]> merges, Map<String, Integer> vocab, Path file) {
        BpeMerges table = new BpeMerges(merges.size());
        for (int rank = 0; rank < merges.size(); rank++) {
            String a = merges.get(rank)[0], b = merges.get(rank)[1];
            Integer ia = vocab.get(a), ib = vocab.get(b), im = vocab.get(a + b);
            if (ia == null || ib == null || im == null)
                throw JsonFiles.bad(file, "merge #" + rank + " " + quote(a + " " + b) + " uses or makes a token missing from the vocab");
            table.put(ia, ib, rank, im);
        }
        return table;
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f) b.append(String.format("\\u%04x", c));
            else b.appendCodePoint(c);
        });
        return b.append('"').toString();
    }
}

package dev.emo.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The {@code pre_tokenizer} of a BPE tokenizer.json: the words BPE sees in a piece of normalized
 * text. Steps: Sequence, Split (see {@link SplitPreTokenizer}), ByteLevel (optional prefix space,
 * optional GPT-2 regex, then each byte shown as one char of the byte-level alphabet) and Metaspace
 * (spaces to "▁", optional "▁" in front, cut before each "▁"). HF runs each step over all pieces of
 * the step before; every step works on each piece alone, so running them depth-first is the same.
 * Any other type is refused: pre-tokenization changes the ids, so it may not be skipped.
 */
final class PreTokenizers {
    private static final String FIX = "use a tokenizer.json whose pre_tokenizer is built from Sequence, Split, ByteLevel or Metaspace";

    /** Receives a piece; {@code first}: it begins the whole input text (Metaspace's prepend_scheme "first"). */
    interface Out {
        void piece(String text, boolean first);
    }

    /** One pre-tokenizer: cuts (and may rewrite) one piece. */
    interface Step {
        void apply(String piece, boolean first, Out out);
    }

    private final List<Step> steps;
    /** a ByteLevel step is present: the words are in the byte-level alphabet */
    final boolean byteLevel;

    private PreTokenizers(List<Step> steps, boolean byteLevel) {
        this.steps = List.copyOf(steps);
        this.byteLevel = byteLevel;
    }

    static PreTokenizers of(JsonNode preTokenizer, Path file) {
        List<Step> steps = new ArrayList<>();
        boolean[] byteLevel = {false};
        add(preTokenizer, file, steps, byteLevel);
        return new PreTokenizers(steps, byteLevel[0]);
    }

    /** GPT-2's: ByteLevel with its regex and no prefix space (vocab.json + merges.txt folders). */
    static PreTokenizers gpt2() {
        return new PreTokenizers(List.of(byteLevel(false, true)), true);
    }

    /** Passes each word of the piece to {@code word}, in order. */
    void words(String piece, boolean first, Consumer<String> word) {
        run(0, piece, first, word);
    }

    private void run(int step, String piece, boolean first, Consumer<String> word) {
        if (step == steps.size()) word.accept(piece);
        else steps.get(step).apply(piece, first, (t, f) -> run(step + 1, t, f, word));
    }

    private static void add(JsonNode n, Path file, List<Step> steps, boolean[] byteLevel) {
        if (n == null || n.isNull()) return;
        String type = n.path("type").asText();
        switch (type) {
            case "Sequence" -> {
                for (JsonNode c : n.path("pretokenizers")) add(c, file, steps, byteLevel);
            }
            case "Split" -> {
                SplitPreTokenizer split = SplitPreTokenizer.fromJson(n, file);
                steps.add((piece, first, out) -> split.split(piece, (t, start) -> out.piece(t, first && start == 0)));
            }
            case "ByteLevel" -> {
                byteLevel[0] = true;
                steps.add(byteLevel(n.path("add_prefix_space").asBoolean(true), n.path("use_regex").asBoolean(true)));
            }
            case "Metaspace" -> steps.add(metaspace(n));
            default -> throw TokenizerException.of(file, "pre_tokenizer " + (type.isEmpty() ? n.toString() : type) + " is not supported", FIX);
        }
    }

    /** HF's ByteLevel pre-tokenizer; the prefix space goes on every piece that lacks one, as in HF. */
    private static Step byteLevel(boolean addPrefixSpace, boolean useRegex) {
        SplitPreTokenizer gpt2 = new SplitPreTokenizer(ByteLevel.GPT2_SPLIT, SplitPreTokenizer.Behavior.Isolated, false);
        return (piece, first, out) -> {
            String s = addPrefixSpace && !piece.startsWith(" ") ? " " + piece : piece;
            if (useRegex) gpt2.split(s, (t, start) -> out.piece(ByteLevel.encode(t), first && start == 0));
            else out.piece(ByteLevel.encode(s), first);
        };
    }

    /** HF's Metaspace: replace spaces, prepend per prepend_scheme, then cut before each replacement char if split. */
    private static Step metaspace(JsonNode n) {
        String rep = n.path("replacement").asText("\u2581");
        String scheme = prependScheme(n);
        boolean split = n.path("split").asBoolean(true);
        SplitPreTokenizer cut = new SplitPreTokenizer(OnigRegex.literal(rep), SplitPreTokenizer.Behavior.MergedWithNext, false);
        return (piece, first, out) -> {
            String s = piece.replace(" ", rep);
            boolean prepend = scheme.equals("always") || (scheme.equals("first") && first);
            if (prepend && !s.isEmpty() && !s.startsWith(rep)) s = rep + s;
            if (split) cut.split(s, (t, start) -> out.piece(t, first && start == 0));
            else if (!s.isEmpty()) out.piece(s, first);
        };
    }

    /** Metaspace's prepend_scheme, or the older boolean add_prefix_space */
    static String prependScheme(JsonNode node) {
        if (node.has("prepend_scheme")) return node.get("prepend_scheme").asText();
        return node.path("add_prefix_space").asBoolean(true) ? "always" : "never";
    }
}

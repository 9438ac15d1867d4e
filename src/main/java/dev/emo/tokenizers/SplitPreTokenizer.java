package dev.emo.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HF's {@code Split} pre-tokenizer: the text is cut into the pattern's matches and the stretches
 * between them (with {@code invert} the two swap roles), then the matches are kept, dropped or glued
 * to a neighbour as {@code behavior} says (HF's SplitDelimiterBehavior, {@code NormalizedString::split}).
 * Empty pieces are dropped, as HF's PreTokenizedString drops them.
 */
final class SplitPreTokenizer {
    enum Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

    /** Receives each piece with its start in the split text. */
    interface Sink {
        void piece(String text, int start);
    }

    private final Pattern pattern;
    private final Behavior behavior;
    private final boolean invert;

    SplitPreTokenizer(Pattern pattern, Behavior behavior, boolean invert) {
        this.pattern = pattern;
        this.behavior = behavior;
        this.invert = invert;
    }

    static SplitPreTokenizer fromJson(JsonNode n, Path file) {
        JsonNode pat = n.path("pattern");
        String fix = "use a tokenizer.json whose Split pattern java.util.regex can run (or another model)";
        Pattern p;
        if (pat.path("String").isTextual()) {
            p = OnigRegex.literal(pat.get("String").asText());
        } else if (pat.path("Regex").isTextual()) {
            String re = pat.get("Regex").asText();
            try {
                p = OnigRegex.compile(re);
            } catch (OnigRegex.Unsupported e) {
                throw TokenizerException.of(file, "pre_tokenizer Split regex " + TokenizerJson.quote(re) + " is not supported: " + e.getMessage(), fix);
            }
        } else {
            throw JsonFiles.bad(file, "pre_tokenizer Split has no {\"String\"|\"Regex\": ...} pattern");
        }
        String b = n.path("behavior").asText();
        Behavior behavior;
        try {
            behavior = Behavior.valueOf(b);
        } catch (IllegalArgumentException e) {
            throw TokenizerException.of(file, "pre_tokenizer Split behavior " + TokenizerJson.quote(b) + " is not supported",
                    "use Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous");
        }
        return new SplitPreTokenizer(p, behavior, n.path("invert").asBoolean(false));
    }

    void split(String s, Sink out) {
        if (s.isEmpty()) return;
        // the matches and the stretches between them, covering s: HF's Pattern::find_matches
        IntList start = new IntList(8), end = new IntList(8), isMatch = new IntList(8);
        int prev = 0;
        Matcher m = pattern.matcher(s);
        while (m.find()) {
            if (prev != m.start()) add(start, end, isMatch, prev, m.start(), invert);
            add(start, end, isMatch, m.start(), m.end(), !invert);
            prev = m.end();
        }
        if (prev != s.length()) add(start, end, isMatch, prev, s.length(), invert);
        int n = start.size();
        int[] st = start.toArray(), en = end.toArray(), mt = isMatch.toArray();
        boolean[] keep = new boolean[n];
        switch (behavior) {
            case Isolated -> java.util.Arrays.fill(keep, true);
            case Removed -> {
                for (int i = 0; i < n; i++) keep[i] = mt[i] == 0;
            }
            case Contiguous, MergedWithPrevious -> {
                // a match (Contiguous: any piece like the one before) joins the piece before it
                int last = -1;
                boolean previousMatch = false;
                for (int i = 0; i < n; i++) {
                    boolean match = mt[i] == 1;
                    boolean join = behavior == Behavior.Contiguous ? match == previousMatch : match && !previousMatch;
                    if (join && last >= 0) {
                        en[last] = en[i];
                    } else {
                        keep[i] = true;
                        last = i;
                    }
                    previousMatch = match;
                }
            }
            case MergedWithNext -> {
                // the same from the right: a match joins the piece after it
                int next = -1;
                boolean nextMatch = false;
                for (int i = n - 1; i >= 0; i--) {
                    boolean match = mt[i] == 1;
                    if (match && !nextMatch && next >= 0) {
                        st[next] = st[i];
                    } else {
                        keep[i] = true;
                        next = i;
                    }
                    nextMatch = match;
                }
            }
        }
        for (int i = 0; i < n; i++) {
            if (keep[i] && en[i] > st[i]) out.piece(s.substring(st[i], en[i]), st[i]);
        }
    }

    private static void add(IntList start, IntList end, IntList isMatch, int s, int e, boolean match) {
        start.add(s);
        end.add(e);
        isMatch.add(match ? 1 : 0);
    }
}

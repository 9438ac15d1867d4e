package dev.emo.evaluation.rouge;

import dev.emo.UserError;

import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ROUGE as Google's {@code rouge_score} 0.1.2 computes it (what Hugging Face {@code evaluate}'s
 * {@code rouge} metric calls): {@code rouge1}..{@code rouge9} (n-gram overlap), {@code rougeL}
 * (LCS of the whole token sequences) and {@code rougeLsum} (summary-level LCS over
 * {@code '\n'}-separated lines). Thread-safe: one scorer may be shared by evaluation threads.
 *
 * <pre>{@code
 * RougeScorer scorer = new RougeScorer(RougeScorer.ALL_TYPES, false);
 * Map<String, Score> s = scorer.score(reference, prediction);   // reference first, as rouge_score
 * }</pre>
 */
public final class RougeScorer {
    /** The four types HF evaluate reports by default. */
    public static final List<String> ALL_TYPES = List.of("rouge1", "rouge2", "rougeL", "rougeLsum");

    private final List<String> types;
    private final RougeTokenizer tokenizer;

    public RougeScorer(List<String> types, boolean useStemmer) {
        if (types.isEmpty()) {
            throw UserError.of("ROUGE types", "none given", "name at least one of rouge1..rouge9, rougeL, rougeLsum");
        }
        for (String type : types) {
            if (!type.equals("rougeL") && !type.equals("rougeLsum") && ngramOrder(type) == 0) {
                throw UserError.of("ROUGE types", "unknown type '" + type + "'", "use rouge1..rouge9, rougeL or rougeLsum");
            }
        }
        this.types = List.copyOf(types);
        this.tokenizer = new RougeTokenizer(useStemmer);
    }

    public List<String> types() {
        return types;
    }

    public RougeTokenizer tokenizer() {
        return tokenizer;
    }

    /** Scores of {@code prediction} against {@code target} for each type, in the constructor's order. */
    public Map<String, Score> score(String target, String prediction) {
        Vocabulary vocab = new Vocabulary();
        // '\n' always separates tokens, so a text's tokens are its rougeLsum lines' tokens joined:
        // one tokenisation per text serves every type.
        List<int[]> targetLines = vocab.idsOfLines(tokenizer, target);
        List<int[]> predictionLines = vocab.idsOfLines(tokenizer, prediction);
        int[] targetIds = concat(targetLines);
        int[] predictionIds = concat(predictionLines);
        Map<String, Score> result = new LinkedHashMap<>();
        for (String type : types) {
            Score s;
            if (type.equals("rougeLsum")) s = Lcs.summaryLevel(targetLines, predictionLines, vocab.size());
            else if (type.equals("rougeL")) s = lcsScore(targetIds, predictionIds);
            else s = ngramScore(targetIds, predictionIds, ngramOrder(type));
            result.put(type, s);
        }
        return result;
    }

    /**
     * Multi-reference ROUGE ({@code score_multi}): per type, the score against the reference with
     * the highest F-measure; on a tie the first such reference wins (numpy argmax).
     */
    public Map<String, Score> scoreMulti(List<String> targets, String prediction) {
        if (targets.isEmpty()) throw new IllegalArgumentException("scoreMulti needs at least one reference");
        List<Map<String, Score>> perTarget = new ArrayList<>(targets.size());
        for (String target : targets) perTarget.add(score(target, prediction));
        Map<String, Score> best = new LinkedHashMap<>();
        for (String type : types) {
            Score top = perTarget.get(0).get(type);
            for (Map<String, Score> s : perTarget) {
                if (s.get(type).fmeasure() > top.fmeasure()) top = s.get(type);
            }
            best.put(type, top);
        }
        return best;
    }

    /**
     * The plain arithmetic mean of precision, recall and F-measure separately (so the mean F is not
     * the F of the mean P and R), over results that all hold the same types. This is the
     * deterministic counterpart of HF evaluate's default bootstrap median.
     */
    public static Map<String, Score> mean(List<Map<String, Score>> results) {
        if (results.isEmpty()) throw new IllegalArgumentException("mean of no ROUGE results");
        Map<String, Score> mean = new LinkedHashMap<>();
        for (String type : results.get(0).keySet()) {
            double p = 0, r = 0, f = 0;
            for (Map<String, Score> result : results) {
                Score s = result.get(type);
                if (s == null) throw new IllegalArgumentException("a ROUGE result lacks " + type + ": " + result.keySet());
                p += s.precision();
                r += s.recall();
                f += s.fmeasure();
            }
            int n = results.size();
            mean.put(type, new Score(p / n, r / n, f / n));
        }
        return mean;
    }

    /** N of "rougeN" for N in 1..9 (rouge_score's {@code rouge[0-9]$}, n > 0), else 0. */
    private static int ngramOrder(String type) {
        if (type.length() != 6 || !type.startsWith("rouge")) return 0;
        char c = type.charAt(5);
        return c >= '1' && c <= '9' ? c - '0' : 0;
    }

    /** rougeN: clipped n-gram overlap; an empty side gives 0 (denominators are at least 1). */
    private static Score ngramScore(int[] target, int[] prediction, int n) {
        Map<IntBuffer, Integer> targetCounts = ngramCounts(target, n);
        Map<IntBuffer, Integer> predictionCounts = ngramCounts(prediction, n);
        int overlap = 0;
        for (Map.Entry<IntBuffer, Integer> e : targetCounts.entrySet()) {
            overlap += Math.min(e.getValue(), predictionCounts.getOrDefault(e.getKey(), 0));
        }
        int targetTotal = Math.max(target.length - n + 1, 0);
        int predictionTotal = Math.max(prediction.length - n + 1, 0);
        return Score.of((double) overlap / Math.max(predictionTotal, 1), (double) overlap / Math.max(targetTotal, 1));
    }

    /** Counts of each n-gram; a key is a window [i, i+n) of {@code ids} (IntBuffer equality compares the window's values). */
    private static Map<IntBuffer, Integer> ngramCounts(int[] ids, int n) {
        Map<IntBuffer, Integer> counts = new HashMap<>();
        for (int i = 0; i + n <= ids.length; i++) counts.merge(IntBuffer.wrap(ids, i, n), 1, Integer::sum);
        return counts;
    }

    private static int[] concat(List<int[]> lines) {
        int[] all = new int[lines.stream().mapToInt(l -> l.length).sum()];
        int at = 0;
        for (int[] line : lines) {
            System.arraycopy(line, 0, all, at, line.length);
            at += line.length;
        }
        return all;
    }

    /** rougeL: P = LCS/|prediction|, R = LCS/|target|; 0 if either side has no tokens. */
    private static Score lcsScore(int[] target, int[] prediction) {
        if (target.length == 0 || prediction.length == 0) return Score.ZERO;
        int lcs = Lcs.length(target, prediction);
        return Score.of((double) lcs / prediction.length, (double) lcs / target.length);
    }

    /** Dense ids for the tokens of one score() call, shared by reference and prediction. */
    private static final class Vocabulary {
        private final Map<String, Integer> idOf = new HashMap<>();

        int[] ids(List<String> tokens) {
            int[] out = new int[tokens.size()];
            for (int i = 0; i < out.length; i++) out[i] = idOf.computeIfAbsent(tokens.get(i), t -> idOf.size());
            return out;
        }

        /** Token ids per rougeLsum line of {@code text}. */
        List<int[]> idsOfLines(RougeTokenizer tokenizer, String text) {
            List<int[]> lines = new ArrayList<>();
            for (String line : RougeTokenizer.summarySentences(text)) lines.add(ids(tokenizer.tokenize(line)));
            return lines;
        }

        int size() {
            return idOf.size();
        }
    }
}

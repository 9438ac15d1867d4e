package dev.emo.evaluation.rouge;

import java.util.List;

/**
 * Longest common subsequences over token-id sequences, for rougeL (whole texts) and rougeLsum
 * (summary level, Lin 2004 §3.2 as rouge_score implements it). Ids are dense indices into a
 * vocabulary shared by the reference and the prediction, so equality is an int compare and the
 * clipping counters are plain arrays.
 */
final class Lcs {
    private Lcs() {}

    /** LCS length of {@code a} and {@code b}, with two rolling rows instead of the full table. */
    static int length(int[] a, int[] b) {
        int[] prev = new int[b.length + 1];
        int[] cur = new int[b.length + 1];
        for (int i = 1; i <= a.length; i++) {
            for (int j = 1; j <= b.length; j++) {
                cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length];
    }

    /** The DP table {@code t[i][j]} = LCS length of {@code ref[:i]} and {@code can[:j]}; shape [|ref|+1, |can|+1]. */
    static int[][] table(int[] ref, int[] can) {
        int[][] t = new int[ref.length + 1][can.length + 1];
        for (int i = 1; i <= ref.length; i++) {
            for (int j = 1; j <= can.length; j++) {
                t[i][j] = ref[i - 1] == can[j - 1] ? t[i - 1][j - 1] + 1 : Math.max(t[i - 1][j], t[i][j - 1]);
            }
        }
        return t;
    }

    /**
     * Marks in {@code inLcs} the reference positions of the one LCS that rouge_score's backtrack
     * picks: from the bottom-right, take the cell on a match, else go left only if that is strictly
     * larger, else up. The tie rule decides which LCS is found and so changes rougeLsum.
     */
    static void markBacktrack(int[] ref, int[] can, boolean[] inLcs) {
        int[][] t = table(ref, can);
        int i = ref.length;
        int j = can.length;
        while (i > 0 && j > 0) {
            if (ref[i - 1] == can[j - 1]) {
                inLcs[i - 1] = true;
                i--;
                j--;
            } else if (t[i][j - 1] > t[i - 1][j]) {
                j--;
            } else {
                i--;
            }
        }
    }

    /**
     * rougeLsum: for each reference sentence the union (in reference order) of its LCS with every
     * prediction sentence; a token of that union is a hit only while it has occurrences left in both
     * whole texts, so a word is not counted more often than either text holds it.
     *
     * @param vocabSize every id in both lists is below this
     */
    static Score summaryLevel(List<int[]> refSentences, List<int[]> predSentences, int vocabSize) {
        if (refSentences.isEmpty() || predSentences.isEmpty()) return Score.ZERO;
        int[] refLeft = new int[vocabSize];
        int[] predLeft = new int[vocabSize];
        int refTotal = count(refSentences, refLeft);
        int predTotal = count(predSentences, predLeft);
        if (refTotal == 0 || predTotal == 0) return Score.ZERO;

        int hits = 0;
        for (int[] ref : refSentences) {
            boolean[] inUnion = new boolean[ref.length];
            for (int[] pred : predSentences) markBacktrack(ref, pred, inUnion);
            for (int i = 0; i < ref.length; i++) {
                int token = ref[i];
                if (inUnion[i] && predLeft[token] > 0 && refLeft[token] > 0) {
                    hits++;
                    predLeft[token]--;
                    refLeft[token]--;
                }
            }
        }
        return Score.of((double) hits / predTotal, (double) hits / refTotal);
    }

    /** Adds each token's occurrences to {@code counts}; returns the number of tokens. */
    private static int count(List<int[]> sentences, int[] counts) {
        int total = 0;
        for (int[] s : sentences) {
            for (int token : s) counts[token]++;
            total += s.length;
        }
        return total;
    }
}

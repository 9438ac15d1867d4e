package dev.emo.evaluation;

import dev.emo.models.CausalLM;
import dev.emo.models.KvCache;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@link SequenceScorer#tokenNll}'s values for groups of sequences that share a long start, such as
 * one ICL prompt completed by each label: a KV-cache graph runs each group's common token prefix
 * once, then every member's remaining tokens against a copy of that cache. Prefixes are
 * right-padded, so a member's row reads [prefix, padding, suffix]; the mask hides the padding and
 * positions count real tokens, so the values equal whole-sequence scoring up to float rounding.
 */
public final class SharedPrefixScorer {
    private SharedPrefixScorer() {}

    /** Per member of every group, in order (groups flattened), the NLL of tokens 1..n−1. */
    public static double[][] tokenNll(CausalLM cached, List<int[][]> groups, int groupsPerBatch) {
        if (!cached.hasKvCache()) throw new IllegalArgumentException("needs a KV-cache graph (Models.withKvCache)");
        List<int[][]> split = new ArrayList<>();     // a group sharing no token is scored member by member
        for (int[][] group : groups) {
            if (prefixLength(group) > 0) split.add(group);
            else for (int[] s : group) split.add(new int[][]{s});
        }
        groups = split;
        List<double[]> out = new ArrayList<>();
        long vocab = cached.config().vocabSize();
        // a batch is cut at groupsPerBatch groups, or where either pass's logits would pass the budget
        int start = 0;
        while (start < groups.size()) {
            int end = start;
            long widest = 0, rows = 0, ownWidest = 0;
            while (end < groups.size() && end - start < groupsPerBatch) {
                int[][] g = groups.get(end);
                int c = prefixLength(g);
                long w = Math.max(widest, c), r = rows + g.length;
                long own = Math.max(ownWidest, Arrays.stream(g).mapToInt(s -> s.length - c).max().orElse(0));
                if (end > start && ((end - start + 1L) * w * vocab > SequenceScorer.LOGITS_BUDGET
                        || r * own * vocab > SequenceScorer.LOGITS_BUDGET)) break;
                widest = w;
                rows = r;
                ownWidest = own;
                end++;
            }
            out.addAll(batch(cached, groups.subList(start, end)));
            start = end;
        }
        return out.toArray(new double[0][]);
    }

    /** The common token prefix, leaving every member at least one token of its own (0: none shared). */
    static int prefixLength(int[][] group) {
        int min = Arrays.stream(group).mapToInt(s -> s.length).min().orElseThrow();
        if (min < 2) throw new IllegalArgumentException("every sequence needs at least 2 tokens, got " + min);
        int c = 0;
        while (c < min - 1 && sameAt(group, c)) c++;
        return c;
    }

    private static boolean sameAt(int[][] group, int i) {
        for (int[] s : group) if (s[i] != group[0][i]) return false;
        return true;
    }

    private static List<double[]> batch(CausalLM model, List<int[][]> groups) {
        int g = groups.size(), v = model.config().vocabSize();
        int[] prefix = new int[g];
        int pMax = 0, rows = 0, sMax = 0;
        for (int i = 0; i < g; i++) {
            prefix[i] = prefixLength(groups.get(i));
            pMax = Math.max(pMax, prefix[i]);
            rows += groups.get(i).length;
            for (int[] s : groups.get(i)) sMax = Math.max(sMax, s.length - prefix[i]);
        }
        long[] pIds = new long[g * pMax], pMask = new long[g * pMax];
        for (int i = 0; i < g; i++) {
            for (int t = 0; t < prefix[i]; t++) {
                pIds[i * pMax + t] = groups.get(i)[0][t];
                pMask[i * pMax + t] = 1;
            }
        }
        INDArray prefixMask = Nd4j.createFromArray(pMask).reshape(g, pMax);
        KvCache empty = model.emptyCache(g);
        KvCache.Step first = model.forwardCached(Nd4j.createFromArray(pIds).reshape(g, pMax), prefixMask, empty);
        empty.close();
        float[] pLogits = Nd4j.toFlattened('c', first.logits()).toFloatVector();   // [G·Pmax·V]
        close(first.logits());

        int[] groupOf = new int[rows];
        long[] sIds = new long[rows * sMax], fullMask = new long[rows * (pMax + sMax)];
        int r = 0;
        for (int i = 0; i < g; i++) {
            for (int[] s : groups.get(i)) {
                groupOf[r] = i;
                System.arraycopy(pMask, i * pMax, fullMask, r * (pMax + sMax), pMax);
                for (int j = prefix[i]; j < s.length; j++) {
                    sIds[r * sMax + j - prefix[i]] = s[j];
                    fullMask[r * (pMax + sMax) + pMax + j - prefix[i]] = 1;
                }
                r++;
            }
        }
        KvCache expanded = repeatRows(first.cache(), groupOf);
        first.cache().close();
        KvCache.Step second = model.forwardCached(Nd4j.createFromArray(sIds).reshape(rows, sMax),
                Nd4j.createFromArray(fullMask).reshape(rows, pMax + sMax), expanded);
        expanded.close();
        second.cache().close();
        float[] sLogits = Nd4j.toFlattened('c', second.logits()).toFloatVector();  // [R·Smax·V]
        close(second.logits());

        List<double[]> out = new ArrayList<>(rows);
        r = 0;
        for (int i = 0; i < g; i++) {
            int c = prefix[i];
            for (int[] s : groups.get(i)) {
                double[] nll = new double[s.length - 1];
                for (int t = 0; t + 1 < c; t++) nll[t] = SequenceScorer.nllAt(pLogits, (i * pMax + t) * v, v, s[t + 1]);
                nll[c - 1] = SequenceScorer.nllAt(pLogits, (i * pMax + c - 1) * v, v, s[c]);   // the prefix's last position predicts the first own token
                for (int j = 0; c + j + 1 < s.length; j++) nll[c + j] = SequenceScorer.nllAt(sLogits, (r * sMax + j) * v, v, s[c + j + 1]);
                out.add(nll);
                r++;
            }
        }
        return out;
    }

    private static void close(INDArray a) {
        if (a.closeable()) a.close();
    }

    /** Each layer's [G, H, P, hd] keys/values gathered to [R, H, P, hd] by row → group. */
    private static KvCache repeatRows(KvCache cache, int[] groupOf) {
        List<INDArray> keys = new ArrayList<>(), values = new ArrayList<>();
        for (int l = 0; l < cache.keys().size(); l++) {
            keys.add(pull(cache.keys().get(l), groupOf));
            values.add(pull(cache.values().get(l), groupOf));
        }
        return new KvCache(keys, values);
    }

    private static INDArray pull(INDArray a, int[] rows) {
        long[] shape = a.shape();
        INDArray flat = a.dup('c').reshape(shape[0], shape[1] * shape[2] * shape[3]);
        return Nd4j.pullRows(flat, 1, rows).reshape('c', rows.length, shape[1], shape[2], shape[3]).castTo(DataType.FLOAT);
    }
}

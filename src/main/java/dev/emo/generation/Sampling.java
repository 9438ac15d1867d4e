package dev.emo.generation;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * How the next token is chosen from a logit row. Greedy takes the arg-max; otherwise the softmax of
 * logits/temperature is cut to the top-k tokens (k = 0: no cut) and then to the smallest set whose
 * mass reaches top-p (p = 1: no cut), and one token is drawn. top-k 0, top-p 1, temperature 1 is
 * the EMO paper's unbiased (ancestral) sampling.
 */
public record Sampling(boolean greedy, double temperature, int topK, double topP) {
    public static final Sampling GREEDY = new Sampling(true, 1, 0, 1);
    public static final Sampling ANCESTRAL = new Sampling(false, 1, 0, 1);

    public Sampling {
        if (!greedy && !(temperature > 0)) throw new dev.emo.UserError("--temperature " + temperature + ": must be > 0");
        if (topK < 0) throw new dev.emo.UserError("--top_k " + topK + ": must be ≥ 0 (0 = no cut)");
        if (!(topP > 0 && topP <= 1)) throw new dev.emo.UserError("--top_p " + topP + ": must be in (0, 1] (1 = no cut)");
    }

    public int pick(double[] logits, Random rng) {
        if (greedy) return argMax(logits);
        int v = logits.length;
        double max = Double.NEGATIVE_INFINITY;
        for (double x : logits) max = Math.max(max, x);
        double[] p = new double[v];
        double sum = 0;
        for (int i = 0; i < v; i++) sum += p[i] = Math.exp((logits[i] - max) / temperature);
        for (int i = 0; i < v; i++) p[i] /= sum;
        if (topK > 0 || topP < 1) {
            Integer[] order = IntStream.range(0, v).boxed().sorted(Comparator.comparingDouble(i -> -p[i])).toArray(Integer[]::new);
            int keep = topK > 0 ? Math.min(topK, v) : v;
            double mass = 0;
            for (int r = 0; r < keep; r++) {
                mass += p[order[r]];
                if (mass >= topP) {
                    keep = r + 1;
                    break;
                }
            }
            double[] cut = new double[v];
            for (int r = 0; r < keep; r++) cut[order[r]] = p[order[r]];
            double s = Arrays.stream(cut).sum();
            for (int i = 0; i < v; i++) p[i] = cut[i] / s;
        }
        double u = rng.nextDouble(), c = 0;
        for (int i = 0; i < v; i++) {
            c += p[i];
            if (u < c) return i;
        }
        return argMax(p); // u landed in the rounding gap at the top
    }

    static int argMax(double[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}

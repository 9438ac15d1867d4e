package dev.emo.evaluation;

import dev.emo.UserError;
import dev.emo.models.CausalLM;
import dev.emo.util.LogSumExp;
import dev.emo.tokenizers.Tokenizer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

/**
 * Token-level divergences between a model's next-token distribution q and a reference model's p on
 * held-out text, as the EMO authors' {@code distribution_measures} computes them (the paper's
 * Figure 2): forward cross-entropy −Σ p log q (recall: does q cover p?), reverse cross-entropy
 * −Σ q log p (precision: does q put mass where p has little?), total variation ½Σ|p − q| and
 * reverse KL Σ q log(q/p). Averaged over positions within a text, then over texts. Texts with
 * fewer than 20 words or more than 500 tokens are skipped, as there. Both models must share a vocabulary.
 */
public final class DistributionMeasures {
    private DistributionMeasures() {}

    public record Result(double forwardCe, double reverseCe, double tvd, double reverseKl, int texts) {}

    public static Result compute(CausalLM model, CausalLM reference, Tokenizer tokenizer, List<String> texts) {
        int v = model.config().vocabSize();
        if (reference.config().vocabSize() != v) {
            throw UserError.of(reference.config().file(), "vocabulary size " + reference.config().vocabSize() + " differs from the model's " + v,
                    "compare models that share a tokenizer");
        }
        double fwd = 0, rev = 0, tvd = 0, rkl = 0;
        int n = 0;
        for (String text : texts) {
            if (text.strip().split("\\s+").length < 20) continue;
            int[] ids = tokenizer.encode(text);
            if (ids.length > 500 || ids.length > Math.min(model.config().maxPositions(), reference.config().maxPositions()) || ids.length < 2) continue;
            INDArray input = Nd4j.createFromArray(java.util.Arrays.stream(ids).asLongStream().toArray()).reshape(1, ids.length);
            INDArray mask = Nd4j.ones(DataType.INT64, 1, ids.length);
            double[] q = model.forward(input, mask).reshape(-1).castTo(DataType.DOUBLE).toDoubleVector();    // [T·V]
            double[] p = reference.forward(input, mask).reshape(-1).castTo(DataType.DOUBLE).toDoubleVector();
            double f = 0, r = 0, t = 0, k = 0;
            int positions = ids.length - 1;                // the last position predicts past the text
            for (int pos = 0; pos < positions; pos++) {
                double[] lq = logSoftmax(q, pos * v, v), lp = logSoftmax(p, pos * v, v);
                for (int i = 0; i < v; i++) {
                    double pi = Math.exp(lp[i]), qi = Math.exp(lq[i]);
                    f -= pi * lq[i];
                    r -= qi * lp[i];
                    t += 0.5 * Math.abs(pi - qi);
                    if (qi > 0) k += qi * (lq[i] - lp[i]);
                }
            }
            fwd += f / positions;
            rev += r / positions;
            tvd += t / positions;
            rkl += k / positions;
            n++;
        }
        if (n == 0) throw new UserError("no text qualifies for the distribution measures (≥ 20 words, ≤ 500 tokens); pass longer validation text");
        return new Result(fwd / n, rev / n, tvd / n, rkl / n, n);
    }

    private static double[] logSoftmax(double[] x, int off, int v) {
        double log = LogSumExp.of(x, off, v);
        double[] out = new double[v];
        for (int i = 0; i < v; i++) out[i] = x[off + i] - log;
        return out;
    }
}

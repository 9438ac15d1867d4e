package dev.emo.evaluation;

import dev.emo.util.LogSumExp;

import dev.emo.models.CausalLM;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Per-token negative log-likelihood of whole sequences under a causal LM: position t predicts token
 * t+1, so a sequence of n ids gets n−1 values. Sequences are sorted by length and run in right-padded
 * batches with an attention mask (padding never reaches a real position: attention is causal and
 * masked), so a sequence's values do not depend on what it was batched with beyond float rounding.
 *
 * <p>Memory: a batch's logits are B·T·V floats (GPT-2: V = 50,257), so besides {@code batchSize} a
 * batch is also cut at {@link #LOGITS_BUDGET} floats; the log-softmax is computed row by row on the
 * host in double precision, over real positions only.
 */
public final class SequenceScorer {
    private static final Logger LOG = LogManager.getLogger(SequenceScorer.class);

    /** At most this many logits per batch (256 MB of float32); one sequence is always allowed. */
    static final long LOGITS_BUDGET = 64L << 20;

    private SequenceScorer() {}

    /** For each sequence (in input order), the NLL of tokens 1..n−1 given their prefix. */
    public static double[][] tokenNll(CausalLM model, List<int[]> sequences, int batchSize) {
        if (batchSize < 1) throw new IllegalArgumentException("batchSize must be ≥ 1, got " + batchSize);
        int maxLen = model.config().maxPositions();
        long vocab = model.config().vocabSize();
        for (int[] s : sequences) {
            if (s.length == 0 || s.length > maxLen) {
                throw new IllegalArgumentException("sequence of " + s.length + " tokens; the model takes 1.." + maxLen);
            }
        }
        Integer[] order = new Integer[sequences.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        // longest first, so each batch's padding is small and the first batch shows the peak memory
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> sequences.get(i).length).reversed());

        double[][] out = new double[sequences.size()][];
        int start = 0, batches = 0;
        while (start < order.length) {
            int width = sequences.get(order[start]).length;
            int end = start + 1;
            while (end < order.length && end - start < batchSize && (end - start + 1L) * width * vocab <= LOGITS_BUDGET) end++;
            List<int[]> batch = new ArrayList<>(end - start);
            for (int j = start; j < end; j++) batch.add(sequences.get(order[j]));
            double[][] nll = batchNll(model, batch, width);
            for (int j = start; j < end; j++) out[order[j]] = nll[j - start];
            start = end;
            batches++;
        }
        LOG.debug("scored {} sequences in {} batches", sequences.size(), batches);
        return out;
    }

    /** Mean NLL per predicted token of each sequence (NaN for a single-token sequence). */
    public static double[] meanNll(CausalLM model, List<int[]> sequences, int batchSize) {
        double[][] nll = tokenNll(model, sequences, batchSize);
        double[] mean = new double[nll.length];
        for (int i = 0; i < nll.length; i++) mean[i] = Arrays.stream(nll[i]).average().orElse(Double.NaN);
        return mean;
    }

    /** One right-padded batch [B, width]; padding id 0 (any valid id: it is masked out). */
    private static double[][] batchNll(CausalLM model, List<int[]> batch, int width) {
        int b = batch.size();
        long[] ids = new long[b * width];
        long[] mask = new long[b * width];
        for (int i = 0; i < b; i++) {
            int[] s = batch.get(i);
            for (int t = 0; t < s.length; t++) {
                ids[i * width + t] = s[t];
                mask[i * width + t] = 1;
            }
        }
        INDArray logits = model.forward(Nd4j.createFromArray(ids).reshape(b, width),
                Nd4j.createFromArray(mask).reshape(b, width));                        // [B, T, V]
        int vocab = (int) logits.size(2);
        float[] flat = Nd4j.toFlattened('c', logits.castTo(DataType.FLOAT)).toFloatVector(); // B·T·V, row (i, t) at (i·T + t)·V
        double[][] out = new double[b][];
        for (int i = 0; i < b; i++) {
            int[] s = batch.get(i);
            out[i] = new double[s.length - 1];
            for (int t = 0; t + 1 < s.length; t++) {
                out[i][t] = nllAt(flat, (i * width + t) * vocab, vocab, s[t + 1]);
            }
        }
        return out;
    }

    /** −log softmax(row)[target] for the logits row at {@code offset}: logsumexp − logit. */
    static double nllAt(float[] logits, int offset, int vocab, int target) {
        return LogSumExp.of(logits, offset, vocab) - logits[offset + target];
    }
}

package dev.emo.generation;

import dev.emo.models.CausalLM;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Token-by-token decoding of one prompt. Each step re-runs the whole prefix (no KV cache yet), so
 * it is meant for short continuations; the default is greedy, and {@link Sampling} adds
 * temperature, top-k and top-p.
 */
public final class Generator {
    private final CausalLM model;

    public Generator(CausalLM model) {
        this.model = model;
    }

    /** Generated ids (prompt excluded) and the log-probability of each under the unmodified softmax. */
    public record Output(int[] ids, double[] logProbs) {}

    public Output generate(int[] prompt, int maxNewTokens, Sampling sampling, long seed, int stopId) {
        Random rng = new Random(seed);
        List<Integer> seq = new ArrayList<>();
        for (int id : prompt) seq.add(id);
        int[] out = new int[maxNewTokens];
        double[] lp = new double[maxNewTokens];
        int n = 0;
        for (; n < maxNewTokens && seq.size() < model.config().maxPositions(); n++) {
            long[] ids = seq.stream().mapToLong(Integer::longValue).toArray();
            INDArray input = Nd4j.createFromArray(ids).reshape(1, ids.length);
            INDArray mask = Nd4j.ones(DataType.INT64, 1, ids.length);
            INDArray logits = model.forward(input, mask)
                    .get(NDArrayIndex.point(0), NDArrayIndex.point(ids.length - 1), NDArrayIndex.all());
            double[] row = logits.castTo(DataType.DOUBLE).toDoubleVector();
            int next = sampling.pick(row, rng);
            out[n] = next;
            lp[n] = logSoftmaxAt(row, next);
            seq.add(next);
            if (next == stopId) {
                n++;
                break;
            }
        }
        return new Output(Arrays.copyOf(out, n), Arrays.copyOf(lp, n));
    }

    static double logSoftmaxAt(double[] row, int index) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : row) max = Math.max(max, v);
        double sum = 0;
        for (double v : row) sum += Math.exp(v - max);
        return row[index] - max - Math.log(sum);
    }
}

package dev.emo.evaluation;

import dev.emo.models.CausalLM;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/** The test oracle for sequence scoring: one sequence, one unpadded forward pass, a plain log-softmax loop. */
public final class DirectNll {
    private DirectNll() {}

    /** NLL of tokens 1..n−1 from one unpadded forward pass and a plain double loop. */
    public static double[] of(CausalLM model, int[] ids) {
        long[] l = Arrays.stream(ids).asLongStream().toArray();
        INDArray logits = model.forward(Nd4j.createFromArray(l).reshape(1, ids.length), Nd4j.ones(DataType.INT64, 1, ids.length))
                .reshape(ids.length, model.config().vocabSize()); // [T, V]
        double[][] rows = logits.castTo(DataType.DOUBLE).toDoubleMatrix();
        double[] nll = new double[ids.length - 1];
        for (int t = 0; t + 1 < ids.length; t++) {
            double[] row = rows[t];
            double max = Arrays.stream(row).max().orElseThrow(), sum = 0;
            for (double v : row) sum += Math.exp(v - max);
            nll[t] = max + Math.log(sum) - row[ids[t + 1]];
        }
        return nll;
    }
}

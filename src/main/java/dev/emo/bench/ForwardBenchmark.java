package dev.emo.bench;

import dev.emo.util.Rss;
import dev.emo.registry.Architectures;
import dev.emo.models.CausalLM;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Forward-pass throughput of a reference-sized model with random weights. Prints numbers; asserts nothing. */
public final class ForwardBenchmark {
    private ForwardBenchmark() {}

    public record Result(String arch, int batch, int length, double[] seconds, double tokensPerSecond, long peakRssMb) {}

    public static Result run(String arch, int batch, int length, int warmup, int reps) {
        CausalLM model = Architectures.randomModel(arch, 1);
        java.util.Random rng = new java.util.Random(1);
        long[] tokens = new long[batch * length];
        for (int i = 0; i < tokens.length; i++) tokens[i] = rng.nextInt(model.config().vocabSize());
        INDArray ids = Nd4j.createFromArray(tokens).reshape(batch, length);
        INDArray mask = Nd4j.ones(DataType.INT64, batch, length);
        for (int i = 0; i < warmup; i++) {
            model.forward(ids, mask);
            System.gc();
        }
        double[] s = new double[reps];
        long peak = 0;
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            model.forward(ids, mask);
            s[i] = (System.nanoTime() - t0) / 1e9;
            peak = Math.max(peak, Rss.currentMb());
            System.gc();
        }
        double sum = 0;
        for (double x : s) sum += x;
        return new Result(arch, batch, length, s, batch * (double) length / (sum / reps), peak);
    }
}

package dev.emo.onnx;

import dev.emo.models.CausalLM;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.Random;

/**
 * Compares our SameDiff graph with ONNX Runtime on the same export, on a seeded random batch whose
 * rows are right-padded to different lengths.
 */
public final class ParityCheck {
    public static final double TOLERANCE = 1e-4;

    /** Max |Δlogit| over real tokens (the verdict) and over every position (padding included). */
    public record Result(double maxAbsReal, double maxAbsAll, long batch, long length, long ortMillis, long sameDiffMillis) {
        public boolean passed() {
            return maxAbsReal <= TOLERANCE;
        }
    }

    private ParityCheck() {}

    public static Result run(CausalLM model, Path onnxFile, int batch, int length, long seed) {
        int len = Math.min(length, model.config().maxPositions());
        Random rng = new Random(seed);
        long[] ids = new long[batch * len];
        long[] mask = new long[batch * len];
        for (int b = 0; b < batch; b++) {
            int real = b == 0 ? len : Math.max(1, len - 1 - rng.nextInt(Math.max(1, len / 2)));
            for (int t = 0; t < len; t++) {
                ids[b * len + t] = rng.nextInt(model.config().vocabSize());
                mask[b * len + t] = t < real ? 1 : 0;
            }
        }
        INDArray inputIds = Nd4j.createFromArray(ids).reshape(batch, len);
        INDArray attention = Nd4j.createFromArray(mask).reshape(batch, len);
        INDArray positions = model.exportPositionIds(attention);   // fed only to exports that take position_ids

        long t0 = System.nanoTime();
        INDArray ours = model.forward(inputIds, attention);
        long t1 = System.nanoTime();
        INDArray reference;
        try (OrtRunner ort = new OrtRunner(onnxFile)) {
            reference = ort.logits(inputIds, attention, positions);
        }
        long t2 = System.nanoTime();
        INDArray diff = ours.sub(reference);
        double all = diff.amaxNumber().doubleValue();
        INDArray realMask = attention.castTo(DataType.FLOAT).reshape(batch, len, 1);
        double real = diff.mul(realMask).amaxNumber().doubleValue();
        return new Result(real, all, batch, len, (t2 - t1) / 1_000_000, (t1 - t0) / 1_000_000);
    }
}

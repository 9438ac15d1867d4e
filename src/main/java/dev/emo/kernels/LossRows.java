package dev.emo.kernels;

import dev.emo.util.DenseFloats;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * The LM loss's passes over [N, V] (objectives.FusedLmLoss), one row per task and each row read
 * once from memory: the softmax (a read of the logits, a write of q) and the gradient (a read of q
 * and, for DEMD, of the cosines s; q overwritten). In ND4J the same work is seven passes over
 * [N, V] for MLE and eleven for EMO (measured, GPT-2 small's [2040, 50257] on 2 cores: MLE 650 →
 * 200 ms, EMO 2.35 → 1.6 s, of which 1.25 s is the cosines' product, which stays in OpenBLAS).
 */
public final class LossRows {
    private LossRows() {}

    /** Whether these passes can run on the arrays: host kernels on, the Vector API present, float [N, V] arrays of their own. */
    public static boolean applies(INDArray... arrays) {
        if (!HostOp.enabled() || !Simd.on()) return false;
        for (INDArray a : arrays) {
            if (a.rank() != 2 || !DenseFloats.is(a) || a.length() >= Integer.MAX_VALUE) return false;
        }
        return true;
    }

    /** q ← softmax(z) by rows; logZ[t] = log Σ_j exp(z_tj) (max + log of the shifted sum). */
    public static void softmax(INDArray logits, INDArray q, double[] logZ) {
        int n = (int) logits.size(0), v = (int) logits.size(1);
        FloatBuffer zs = DenseFloats.of(logits), qs = DenseFloats.of(q);
        Rows.parallel(n, v, (from, to) -> {
            float[] row = new float[v];
            for (int t = from; t < to; t++) {
                zs.get(t * v, row, 0, v);
                float max = FloatLanes.max(row, v);
                double sum = FloatLanes.expShiftSum(row, v, max);
                FloatLanes.scale(row, v, (float) (1.0 / sum));
                qs.put(t * v, row, 0, v);
                logZ[t] = max + Math.log(sum);
            }
        });
    }

    /** A row's gradient weights from its DEMD term s̄ = Σ_j q_j s_j (0 without cosines): row ← q·(scale − b·s). */
    public interface RowWeights {
        /** Returns {scale, b} for row t. Called once per row, from several threads for different rows. */
        double[] at(int t, double sBar);
    }

    /**
     * q ← q·(scale_t − b_t·s) by rows, in place, where (scale_t, b_t) = weights.at(t, Σ_j q_tj s_tj);
     * s [N, V] (the cosines) or null, then s̄ = 0 and the rows are only scaled.
     */
    public static void gradient(INDArray q, INDArray s, RowWeights weights) {
        int n = (int) q.size(0), v = (int) q.size(1);
        FloatBuffer qs = DenseFloats.of(q), ss = s == null ? null : DenseFloats.of(s);
        Rows.parallel(n, v, (from, to) -> {
            float[] qr = new float[v], sr = ss == null ? null : new float[v];
            for (int t = from; t < to; t++) {
                qs.get(t * v, qr, 0, v);
                if (sr == null) {
                    FloatLanes.scale(qr, v, (float) weights.at(t, 0)[0]);
                } else {
                    ss.get(t * v, sr, 0, v);
                    double[] w = weights.at(t, FloatLanes.dot(qr, sr, v));
                    FloatLanes.scaleByAffine(qr, sr, v, (float) w[0], (float) w[1]);
                }
                qs.put(t * v, qr, 0, v);
            }
        });
    }
}

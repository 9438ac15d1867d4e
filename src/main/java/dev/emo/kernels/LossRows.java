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

    /**
     * q ← softmax(z) by rows; logZ[t] = log Σ_j exp(z_tj) = max + log(1 + Σ_{j ≠ argmax} e^(z_j − max)):
     * the largest term, exactly 1, is left out of the float sums and added in double, so that a
     * confident row keeps the digits of its small rest (1 + 1e-6 in float has 6e-8 resolution, and
     * −log q_y of that token is the rest itself).
     */
    public static void softmax(INDArray logits, INDArray q, double[] logZ) {
        int n = (int) logits.size(0), v = (int) logits.size(1);
        FloatBuffer zs = DenseFloats.of(logits), qs = DenseFloats.of(q);
        Rows.parallel(n, v, (from, to) -> {
            float[] row = new float[v];
            for (int t = from; t < to; t++) {
                zs.get(t * v, row, 0, v);
                float max = FloatLanes.max(row, v);
                int top = 0;
                while (top < v - 1 && !(row[top] == max)) top++;   // NaN rows: top stays in range, the sums are NaN anyway
                row[top] = Float.NEGATIVE_INFINITY;
                double rest = FloatLanes.expShiftSum(row, v, max);
                row[top] = max == Float.NEGATIVE_INFINITY ? Float.NaN : 1f;
                FloatLanes.scale(row, v, (float) (1.0 / (1 + rest)));
                qs.put(t * v, row, 0, v);
                logZ[t] = max + Math.log1p(rest);
            }
        });
    }

    /** A row's gradient weights from its DEMD value demd = Σ_j q_j c_j (0 without costs): row ← q·(α + β·c). */
    public interface RowWeights {
        /** Returns {α, β} for row t. Called once per row, from several threads for different rows. */
        double[] at(int t, double demd);
    }

    /**
     * Row t ← q_t·(α_t + β_t·c_t) in place, where c_t = 1 − s_t are the transport costs from every
     * token to the gold one (s [N, V] the cosines, read only; the gold's own cost is goldCost[t]),
     * and (α_t, β_t) = weights.at(t, Σ_j q_tj c_tj). DEMD summed this way has no cancellation:
     * 1 − Σ_j q_j s_j loses every digit below float's 6e-8 when a confident token has
     * Σ_j q_j s_j ≈ 1. With s null: c = 0, demd = 0, the rows are only scaled by α.
     */
    public static void gradient(INDArray q, INDArray s, int[] gold, double[] goldCost, RowWeights weights) {
        int n = (int) q.size(0), v = (int) q.size(1);
        FloatBuffer qs = DenseFloats.of(q), ss = s == null ? null : DenseFloats.of(s);
        Rows.parallel(n, v, (from, to) -> {
            float[] qr = new float[v], cr = ss == null ? null : new float[v];
            for (int t = from; t < to; t++) {
                qs.get(t * v, qr, 0, v);
                if (cr == null) {
                    FloatLanes.scale(qr, v, (float) weights.at(t, 0)[0]);
                } else {
                    ss.get(t * v, cr, 0, v);
                    FloatLanes.oneMinus(cr, v);
                    cr[gold[t]] = (float) goldCost[t];
                    double[] w = weights.at(t, FloatLanes.dot(qr, cr, v));
                    FloatLanes.scaleByAffine(qr, cr, v, (float) w[0], (float) -w[1]);
                }
                qs.put(t * v, qr, 0, v);
            }
        });
    }
}

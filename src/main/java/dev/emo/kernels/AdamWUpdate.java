package dev.emo.kernels;

import dev.emo.util.DenseFloats;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * One AdamW update of a parameter in a single pass over (p, g, m, v), for training.AdamW: the
 * same float operations in the same order as its ND4J form (torch.optim.AdamW's), which is about
 * fifteen passes over each parameter-sized array (measured: 1.2–1.4 s of GPT-2 small's step).
 */
public final class AdamWUpdate {
    private AdamWUpdate() {}

    /**
     * The update's scalars, each rounded to float from double as ND4J rounds a scalar operand:
     * p ← p·decay; m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; p ← p − stepSize·m / (√v / sqrtBc2 + eps).
     */
    public record Scalars(float decay, float beta1, float oneMinusBeta1, float beta2, float oneMinusBeta2, float stepSize, float sqrtBc2, float eps) {
        public static Scalars of(double decay, double beta1, double beta2, double stepSize, double sqrtBc2, double eps) {
            return new Scalars((float) decay, (float) beta1, (float) (1 - beta1), (float) beta2, (float) (1 - beta2),
                    (float) stepSize, (float) sqrtBc2, (float) eps);
        }
    }

    /** Whether the fused pass can update these arrays (host kernels on, the Vector API there, dense float arrays). */
    public static boolean applies(INDArray... arrays) {
        if (!HostOp.enabled() || !Simd.on()) return false;
        for (INDArray a : arrays) if (!DenseFloats.is(a) || a.length() != arrays[0].length()) return false;
        return true;
    }

    /** Updates p, m and v in place from g (g is only read). */
    public static void apply(INDArray p, INDArray g, INDArray m, INDArray v, Scalars s) {
        FloatBuffer ps = DenseFloats.of(p), gs = DenseFloats.of(g), ms = DenseFloats.of(m), vs = DenseFloats.of(v);
        long n = p.length();
        int width = 4096, rows = (int) ((n + width - 1) / width);
        Rows.parallel(rows, width, (from, to) -> {
            float[] pr = new float[width], gr = new float[width], mr = new float[width], vr = new float[width];
            for (int r = from; r < to; r++) {
                int o = r * width, len = (int) Math.min(width, n - o);
                ps.get(o, pr, 0, len);
                gs.get(o, gr, 0, len);
                ms.get(o, mr, 0, len);
                vs.get(o, vr, 0, len);
                FloatLanes.adamW(pr, gr, mr, vr, len, s);
                ps.put(o, pr, 0, len);
                ms.put(o, mr, 0, len);
                vs.put(o, vr, 0, len);
            }
        });
    }
}

package dev.emo.kernels;

import dev.emo.util.DenseFloats;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.util.List;

/**
 * Attention probabilities p = softmax(scale·scores + bias) over the last dimension, scores
 * [B, H, T, S] and the additive mask bias [B, 1, T, S] shared by the heads, in one pass forward;
 * backward from p (which the attention's value product keeps anyway) in one pass:
 * dz = p ⊙ (g − Σ g⊙p), dscores = scale·dz, dbias = Σ_heads dz. As primitives it was a scale,
 * a broadcast add and libnd4j's softmax forward, and a softmax_bp that recomputes the softmax.
 */
public final class MaskedSoftmax {
    private MaskedSoftmax() {}

    static {
        HostOp.register(new Forward(), new Backward());
    }

    /** softmax(scale·scores + bias, -1): the fused op where {@link HostOp#enabled()}, else the primitives. */
    public static SDVariable apply(SameDiff sd, SDVariable scores, SDVariable bias, double scale) {
        return apply(sd, scores, bias, scale, HostOp.enabled());
    }

    static SDVariable apply(SameDiff sd, SDVariable scores, SDVariable bias, double scale, boolean fused) {
        if (fused) return new Forward(sd, scores, bias, scale).outputVariable();
        return sd.nn.softmax(scores.mul(scale).add(bias), -1);
    }

    /** Rows of scores [B, H, T, S] and, for each, the offset of its bias row in [B, 1, T, S]. */
    private record Layout(int rows, int width, int heads, int queries) {
        static Layout of(INDArray scores, INDArray bias) {
            long[] s = scores.shape(), b = bias.shape();
            if (s.length != 4 || b.length != 4 || b[0] != s[0] || b[1] != 1 || b[2] != s[2] || b[3] != s[3]) {
                throw new IllegalArgumentException("masked softmax: scores " + java.util.Arrays.toString(s)
                        + " need a bias [B, 1, T, S], got " + java.util.Arrays.toString(b));
            }
            return new Layout((int) (s[0] * s[1] * s[2]), (int) s[3], (int) s[1], (int) s[2]);
        }

        int biasRow(int row) {   // row = (b·H + h)·T + t  →  b·T + t
            int t = row % queries, b = row / (heads * queries);
            return (b * queries + t) * width;
        }
    }

    /** (scores, bias) → p; tArg: scale. */
    public static final class Forward extends HostOp {
        public Forward() {}

        Forward(SameDiff sd, SDVariable scores, SDVariable bias, double scale) {
            super(sd, scores, bias);
            addTArgument(scale);
        }

        @Override
        public String opName() {
            return "emo_masked_softmax";   // a literal: the super constructor asks for it
        }

        @Override
        public int getNumOutputs() {
            return 1;
        }

        @Override
        public INDArray[] run(INDArray[] args, boolean[] needed, Outputs out) {
            Layout l = Layout.of(args[0], args[1]);
            float scale = (float) tArguments.get(0).doubleValue();
            INDArray p = out.acquire(args[0].shape());
            FloatBuffer s = DenseFloats.of(args[0]), b = DenseFloats.of(args[1]), ps = p.data().asNioFloat();
            int w = l.width();
            Rows.parallel(l.rows(), w, (from, to) -> {
                float[] z = new float[w], bias = new float[w];
                for (int r = from; r < to; r++) {
                    int o = r * w, ob = l.biasRow(r);
                    if (Simd.on()) {
                        s.get(o, z, 0, w);
                        b.get(ob, bias, 0, w);
                        FloatLanes.scaleAdd(z, w, scale, bias, 0);
                        float inv = (float) (1.0 / FloatLanes.expShiftSum(z, w, FloatLanes.max(z, w)));
                        FloatLanes.scale(z, w, inv);
                        ps.put(o, z, 0, w);
                        continue;
                    }
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j < w; j++) {
                        z[j] = s.get(o + j) * scale + b.get(ob + j);
                        max = Math.max(max, z[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < w; j++) {
                        z[j] = FloatExp.exp(z[j] - max);
                        sum += z[j];
                    }
                    float inv = (float) (1.0 / sum);
                    for (int j = 0; j < w; j++) ps.put(o + j, z[j] * inv);
                }
            });
            return new INDArray[]{p};
        }

        @Override
        public List<SDVariable> doDiff(List<SDVariable> grads) {
            return List.of(new Backward(sameDiff, outputVariable(), grads.get(0), arg(1), tArguments.get(0)).outputVariables());
        }
    }

    /** (p, dL/dp, bias) → dL/dscores, dL/dbias (bias is read for its shape only); tArg: scale. */
    public static final class Backward extends HostOp {
        public Backward() {}

        Backward(SameDiff sd, SDVariable p, SDVariable g, SDVariable bias, double scale) {
            super(sd, p, g, bias);
            addTArgument(scale);
        }

        @Override
        public String opName() {
            return "emo_masked_softmax_bp";   // a literal: the super constructor asks for it
        }

        @Override
        public int getNumOutputs() {
            return 2;
        }

        @Override
        public INDArray[] run(INDArray[] args, boolean[] needed, Outputs out) {
            Layout l = Layout.of(args[0], args[2]);
            float scale = (float) tArguments.get(0).doubleValue();
            INDArray dScores = needed[0] ? out.acquire(args[0].shape()) : null;
            INDArray dBias = needed[1] ? out.acquire(args[2].shape()) : null;
            FloatBuffer p = DenseFloats.of(args[0]), g = DenseFloats.of(args[1]);
            FloatBuffer ds = dScores == null ? null : dScores.data().asNioFloat();
            int w = l.width();
            float[] biasSum = dBias == null ? null : new float[(int) dBias.length()];
            // dbias sums over heads, so rows that share a bias row must not run on different threads: one pass on this thread then
            Rows.parallel(l.rows(), dBias == null ? w : 0, (from, to) -> {
                float[] pr = new float[w], gr = new float[w], dzr = new float[w];
                for (int r = from; r < to; r++) {
                    int o = r * w;
                    if (Simd.on()) {
                        p.get(o, pr, 0, w);
                        g.get(o, gr, 0, w);
                        FloatLanes.softmaxBackward(pr, gr, (float) FloatLanes.dot(gr, pr, w), dzr, w);
                        if (biasSum != null) FloatLanes.addInto(biasSum, l.biasRow(r), dzr, w);
                        if (ds != null) {
                            FloatLanes.scale(dzr, w, scale);
                            ds.put(o, dzr, 0, w);
                        }
                        continue;
                    }
                    double dot = 0;
                    for (int j = 0; j < w; j++) dot += g.get(o + j) * p.get(o + j);
                    float d = (float) dot;
                    for (int j = 0; j < w; j++) {
                        float dz = p.get(o + j) * (g.get(o + j) - d);
                        if (ds != null) ds.put(o + j, dz * scale);
                        if (biasSum != null) biasSum[l.biasRow(r) + j] += dz;
                    }
                }
            });
            if (dBias != null) dBias.data().asNioFloat().put(biasSum);
            return new INDArray[]{dScores, dBias};
        }

        @Override
        public List<SDVariable> doDiff(List<SDVariable> grads) {
            throw new UnsupportedOperationException("second derivatives of softmax");
        }
    }
}

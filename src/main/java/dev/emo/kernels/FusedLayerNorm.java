package dev.emo.kernels;

import dev.emo.util.DenseFloats;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.util.List;

/**
 * LayerNorm over the last dimension of x [N, d] with an epsilon (which M2.1's native layer_norm
 * lacks, see compat.LayerNorm), one pass per row forward and back; row statistics in double and
 * recomputed in the backward pass rather than stored. With x̂ = (x − μ)·r, r = 1/√(var + eps):
 * y = x̂·gain + bias; dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·gain; dgain = Σ_rows g·x̂;
 * dbias = Σ_rows g. As primitives it was nine ops forward and their gradient ops back.
 */
public final class FusedLayerNorm {
    private FusedLayerNorm() {}

    static {
        HostOp.register(new Forward(), new Backward());
    }

    /** LayerNorm of x [N, d]: the fused op where {@link HostOp#enabled()}, else {@code primitives}. */
    public static SDVariable apply(SameDiff sd, SDVariable x, SDVariable gain, SDVariable bias, double eps,
                                   java.util.function.Supplier<SDVariable> primitives) {
        return apply(sd, x, gain, bias, eps, primitives, HostOp.enabled());
    }

    static SDVariable apply(SameDiff sd, SDVariable x, SDVariable gain, SDVariable bias, double eps,
                            java.util.function.Supplier<SDVariable> primitives, boolean fused) {
        return fused ? new Forward(sd, x, gain, bias, eps).outputVariable() : primitives.get();
    }

    /** Mean and 1/√(var + eps) of row o..o+d of xs. */
    private static double[] stats(FloatBuffer xs, int o, int d, double eps) {
        double sum = 0;
        for (int j = 0; j < d; j++) sum += xs.get(o + j);
        double mean = sum / d, sq = 0;
        for (int j = 0; j < d; j++) {
            double c = xs.get(o + j) - mean;
            sq += c * c;
        }
        return new double[]{mean, 1.0 / Math.sqrt(sq / d + eps)};
    }

    /**
     * x̂ = (x − μ)·r of a row into xhat; returns r = 1/√(var + eps). μ in two steps: a first mean,
     * then the mean of the row centred on it (FloatLanes.centered), so that rows of tiny variance
     * keep their digits as with statistics in double.
     */
    private static float centered(float[] x, int d, double eps, float[] xhat) {
        double m0 = FloatLanes.sum(x, d) / d;
        float hi = (float) m0;
        double[] c = FloatLanes.centered(x, d, hi, (float) (m0 - hi), 0f, null);
        double shift = c[0] / d, mean = m0 + shift;
        float r = (float) (1.0 / Math.sqrt(Math.max(0, c[1] / d - shift * shift) + eps));
        hi = (float) mean;
        FloatLanes.centered(x, d, hi, (float) (mean - hi), r, xhat);
        return r;
    }

    private static float[] rowOf(FloatBuffer b, int d) {
        float[] row = new float[d];
        b.get(0, row, 0, d);
        return row;
    }

    private static void put(INDArray to, double[] values) {
        FloatBuffer b = to.data().asNioFloat();
        for (int j = 0; j < values.length; j++) b.put(j, (float) values[j]);
    }

    private static int[] rowsAndWidth(INDArray x, INDArray gain) {
        if (x.rank() != 2 || gain.length() != x.size(1)) {
            throw new IllegalArgumentException("layer norm: x [N, d] and gain [d], got " + java.util.Arrays.toString(x.shape())
                    + " and " + java.util.Arrays.toString(gain.shape()));
        }
        return new int[]{(int) x.size(0), (int) x.size(1)};
    }

    /** (x, gain, bias) → y; tArg: eps. */
    public static final class Forward extends HostOp {
        public Forward() {}

        Forward(SameDiff sd, SDVariable x, SDVariable gain, SDVariable bias, double eps) {
            super(sd, x, gain, bias);
            addTArgument(eps);
        }

        @Override
        public String opName() {
            return "emo_layer_norm";   // a literal: the super constructor asks for it
        }

        @Override
        public int getNumOutputs() {
            return 1;
        }

        @Override
        public INDArray[] run(INDArray[] args, boolean[] needed, Outputs out) {
            int[] nd = rowsAndWidth(args[0], args[1]);
            int d = nd[1];
            double eps = tArguments.get(0);
            INDArray y = out.acquire(args[0].shape());
            FloatBuffer xs = DenseFloats.of(args[0]), gain = DenseFloats.of(args[1]), bias = DenseFloats.of(args[2]), ys = y.data().asNioFloat();
            float[] gainRow = rowOf(gain, d), biasRow = rowOf(bias, d);
            Rows.parallel(nd[0], d, (from, to) -> {
                float[] x = new float[d], xhat = new float[d];
                for (int r = from; r < to; r++) {
                    int o = r * d;
                    if (Simd.on()) {
                        xs.get(o, x, 0, d);
                        centered(x, d, eps, xhat);
                        FloatLanes.affine(xhat, gainRow, biasRow, x, d);
                        ys.put(o, x, 0, d);
                        continue;
                    }
                    double[] st = stats(xs, o, d, eps);
                    for (int j = 0; j < d; j++) ys.put(o + j, (float) ((xs.get(o + j) - st[0]) * st[1]) * gain.get(j) + bias.get(j));
                }
            });
            return new INDArray[]{y};
        }

        @Override
        public List<SDVariable> doDiff(List<SDVariable> grads) {
            return List.of(new Backward(sameDiff, arg(0), arg(1), grads.get(0), tArguments.get(0)).outputVariables());
        }
    }

    /** (x, gain, dL/dy) → dL/dx, dL/dgain, dL/dbias; tArg: eps. */
    public static final class Backward extends HostOp {
        public Backward() {}

        Backward(SameDiff sd, SDVariable x, SDVariable gain, SDVariable g, double eps) {
            super(sd, x, gain, g);
            addTArgument(eps);
        }

        @Override
        public String opName() {
            return "emo_layer_norm_bp";   // a literal: the super constructor asks for it
        }

        @Override
        public int getNumOutputs() {
            return 3;
        }

        @Override
        public INDArray[] run(INDArray[] args, boolean[] needed, Outputs out) {
            int[] nd = rowsAndWidth(args[0], args[1]);
            int n = nd[0], d = nd[1];
            double eps = tArguments.get(0);
            INDArray dx = needed[0] ? out.acquire(args[0].shape()) : null;
            INDArray dGain = needed[1] ? out.acquire(args[1].shape()) : null, dBias = needed[2] ? out.acquire(args[1].shape()) : null;
            FloatBuffer xs = DenseFloats.of(args[0]), gain = DenseFloats.of(args[1]), gs = DenseFloats.of(args[2]);
            FloatBuffer dxs = dx == null ? null : dx.data().asNioFloat();
            // per-chunk sums, added in row order afterwards so that the result does not depend on which thread finished first
            java.util.concurrent.ConcurrentSkipListMap<Integer, double[][]> partials = new java.util.concurrent.ConcurrentSkipListMap<>();
            float[] gainRow = rowOf(gain, d);
            Rows.parallel(n, d, (from, to) -> {
                double[] sumGx = new double[d], sumG = new double[d];
                double[] xhat = new double[d];
                float[] xr = new float[d], gr = new float[d], xh = new float[d], ghr = new float[d];
                for (int r = from; r < to; r++) {
                    int o = r * d;
                    if (Simd.on()) {
                        xs.get(o, xr, 0, d);
                        gs.get(o, gr, 0, d);
                        float rstd = centered(xr, d, eps, xh);
                        FloatLanes.mul(gr, gainRow, ghr, d);
                        double meanGh = FloatLanes.sum(ghr, d) / d, meanGhX = FloatLanes.dot(ghr, xh, d) / d;
                        for (int j = 0; j < d; j++) {
                            sumGx[j] += gr[j] * xh[j];
                            sumG[j] += gr[j];
                        }
                        if (dxs != null) {
                            FloatLanes.layerNormDx(ghr, xh, (float) meanGh, (float) meanGhX, rstd, xr, d);
                            dxs.put(o, xr, 0, d);
                        }
                        continue;
                    }
                    double[] st = stats(xs, o, d, eps);
                    double meanGh = 0, meanGhX = 0;
                    for (int j = 0; j < d; j++) {
                        float g = gs.get(o + j);
                        xhat[j] = (xs.get(o + j) - st[0]) * st[1];
                        double gh = g * gain.get(j);
                        meanGh += gh;
                        meanGhX += gh * xhat[j];
                        sumGx[j] += g * xhat[j];
                        sumG[j] += g;
                    }
                    meanGh /= d;
                    meanGhX /= d;
                    if (dxs != null) {
                        for (int j = 0; j < d; j++) {
                            dxs.put(o + j, (float) (st[1] * (gs.get(o + j) * gain.get(j) - meanGh - xhat[j] * meanGhX)));
                        }
                    }
                }
                partials.put(from, new double[][]{sumGx, sumG});
            });
            double[] sumGx = new double[d], sumG = new double[d];
            for (double[][] p : partials.values()) {
                for (int j = 0; j < d; j++) {
                    sumGx[j] += p[0][j];
                    sumG[j] += p[1][j];
                }
            }
            if (dGain != null) put(dGain, sumGx);
            if (dBias != null) put(dBias, sumG);
            return new INDArray[]{dx, dGain, dBias};
        }

        @Override
        public List<SDVariable> doDiff(List<SDVariable> grads) {
            throw new UnsupportedOperationException("second derivatives of layer norm");
        }
    }
}

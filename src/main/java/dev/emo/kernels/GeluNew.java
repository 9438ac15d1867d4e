package dev.emo.kernels;

import dev.emo.util.DenseFloats;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.util.List;

/**
 * GPT-2's gelu_new, y = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) = x·σ(u) with
 * u = x·(k0 + k1·x²), k0 = 2√(2/π), k1 = 0.044715·k0, in one pass forward and one backward
 * (dy/dx = σ(u) + x·σ(u)(1 − σ(u))·(k0 + 3k1·x²), σ recomputed from x rather than stored). As
 * primitives it was six libnd4j passes forward and six gradient ops back over [N, 4d].
 */
public final class GeluNew {
    static final float K0 = (float) (2 * Math.sqrt(2.0 / Math.PI));
    static final float K1 = (float) (0.044715 * 2 * Math.sqrt(2.0 / Math.PI));

    private GeluNew() {}

    static {
        HostOp.register(new Forward(), new Backward());
    }

    /** gelu_new(x): the fused op where {@link HostOp#enabled()}, else the six primitives (same float formula). */
    public static SDVariable apply(SameDiff sd, SDVariable x) {
        return apply(sd, x, HostOp.enabled());
    }

    static SDVariable apply(SameDiff sd, SDVariable x, boolean fused) {
        if (fused) return new Forward(sd, x).outputVariable();
        SDVariable u = x.mul(x.mul(x).mul(K1).add(K0));   // x·x: square's gradient goes through a slow pow
        return x.mul(sd.nn.sigmoid(u));
    }

    private static float sigmoid(float u) {
        return 1f / (1f + FloatExp.exp(-u));
    }

    /** x [any shape] → y. */
    public static final class Forward extends HostOp {
        public Forward() {}

        Forward(SameDiff sd, SDVariable x) {
            super(sd, x);
        }

        @Override
        public String opName() {
            return "emo_gelu_new";   // a literal: the super constructor asks for it
        }

        @Override
        public int getNumOutputs() {
            return 1;
        }

        @Override
        public INDArray[] run(INDArray[] args, boolean[] needed, Outputs out) {
            INDArray y = out.acquire(args[0].shape());
            FloatBuffer xs = DenseFloats.of(args[0]), ys = y.data().asNioFloat();
            long n = args[0].length();
            int width = 1024, rows = (int) ((n + width - 1) / width);
            Rows.parallel(rows, width, (from, to) -> {
                float[] x = new float[width], yr = new float[width];
                for (int r = from; r < to; r++) {
                    int o = r * width, len = (int) Math.min(width, n - o);
                    xs.get(o, x, 0, len);
                    for (int i = Simd.on() ? FloatLanes.geluForward(x, yr, len, K0, K1) : 0; i < len; i++) {
                        yr[i] = x[i] * sigmoid(x[i] * (x[i] * x[i] * K1 + K0));
                    }
                    ys.put(o, yr, 0, len);
                }
            });
            return new INDArray[]{y};
        }

        @Override
        public List<SDVariable> doDiff(List<SDVariable> grads) {
            return List.of(new Backward(sameDiff, arg(), grads.get(0)).outputVariable());
        }
    }

    /** (x, dL/dy) → dL/dx. */
    public static final class Backward extends HostOp {
        public Backward() {}

        Backward(SameDiff sd, SDVariable x, SDVariable g) {
            super(sd, x, g);
        }

        @Override
        public String opName() {
            return "emo_gelu_new_bp";   // a literal: the super constructor asks for it
        }

        @Override
        public int getNumOutputs() {
            return 1;
        }

        @Override
        public INDArray[] run(INDArray[] args, boolean[] needed, Outputs out) {
            INDArray dx = out.acquire(args[0].shape());
            FloatBuffer xs = DenseFloats.of(args[0]), gs = DenseFloats.of(args[1]), ds = dx.data().asNioFloat();
            long n = args[0].length();
            int width = 1024, rows = (int) ((n + width - 1) / width);
            Rows.parallel(rows, width, (from, to) -> {
                float[] x = new float[width], g = new float[width], d = new float[width];
                for (int r = from; r < to; r++) {
                    int o = r * width, len = (int) Math.min(width, n - o);
                    xs.get(o, x, 0, len);
                    gs.get(o, g, 0, len);
                    for (int i = Simd.on() ? FloatLanes.geluBackward(x, g, d, len, K0, K1) : 0; i < len; i++) {
                        float x2 = x[i] * x[i], s = sigmoid(x[i] * (x2 * K1 + K0));
                        d[i] = g[i] * (s + x[i] * s * (1 - s) * (K0 + 3 * K1 * x2));
                    }
                    ds.put(o, d, 0, len);
                }
            });
            return new INDArray[]{dx};
        }

        @Override
        public List<SDVariable> doDiff(List<SDVariable> grads) {
            throw new UnsupportedOperationException("second derivatives of gelu_new");
        }
    }
}

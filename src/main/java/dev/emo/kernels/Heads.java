package dev.emo.kernels;

import dev.emo.util.DenseFloats;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Attention's layout changes as one copy each: {@link #split} takes rows x [N = B·T, k·H·hd] to k
 * arrays [B, H, T, hd] (GPT-2's fused QKV product has k = 3), {@link #merge} takes k such arrays
 * back to [N, k·H·hd]; each is the other's gradient. As primitives a split was a reshape, an unstack
 * (GPT-2) and per tensor a reshape and a permute, each copying, and their gradient ops back
 * (measured: ≈ 0.9 s of GPT-2 small's 8×256 training step).
 */
public final class Heads {
    private Heads() {}

    static {
        HostOp.register(new Split(), new Merge());
    }

    /**
     * k × [B, H, T, hd] from x [N, k·H·hd] (part j: columns j·H·hd …), with (B, T) read from
     * batchTime [2]. Only where {@link HostOp#enabled()}: the primitives stay with the caller.
     */
    public static SDVariable[] split(SameDiff sd, SDVariable x, SDVariable batchTime, int parts, int heads, int headDim) {
        return new Split(sd, x, batchTime, parts, heads, headDim).outputVariables();
    }

    /** [B, H, T, hd] → [B·T, H·hd], (B, T) in batchTime [2] (for the gradient). Only where {@link HostOp#enabled()}. */
    public static SDVariable merge(SameDiff sd, SDVariable x, SDVariable batchTime, int heads, int headDim) {
        return new Merge(sd, heads, headDim, x, batchTime).outputVariable();
    }

    /**
     * Copies between rows [N, parts·H·hd] and head-major [B, H, T, hd] arrays: row n = b·T + t,
     * columns (j·H + h)·hd … ↔ part j at [b, h, t, :]. toHeads: rows → parts, else parts → rows.
     */
    private static void copy(FloatBuffer rows, FloatBuffer[] parts, int n, int time, int heads, int headDim, boolean toHeads) {
        int width = parts.length * heads * headDim;
        Rows.parallel(n, width, (from, to) -> {
            float[] row = new float[width];
            for (int r = from; r < to; r++) {
                int b = r / time, t = r % time;
                if (!toHeads) {
                    for (int j = 0; j < parts.length; j++) {
                        for (int h = 0; h < heads; h++) parts[j].get(((b * heads + h) * time + t) * headDim, row, (j * heads + h) * headDim, headDim);
                    }
                    rows.put(r * width, row, 0, width);
                    continue;
                }
                rows.get(r * width, row, 0, width);
                for (int j = 0; j < parts.length; j++) {
                    for (int h = 0; h < heads; h++) parts[j].put(((b * heads + h) * time + t) * headDim, row, (j * heads + h) * headDim, headDim);
                }
            }
        });
    }

    /** (x [N, k·H·hd], batchTime [2]) → k × [B, H, T, hd]; tArgs: k, H, hd. */
    public static final class Split extends HostOp {
        public Split() {}

        Split(SameDiff sd, SDVariable x, SDVariable batchTime, int parts, int heads, int headDim) {
            super(sd, x, batchTime);
            addTArgument(parts, heads, headDim);
        }

        @Override
        public String opName() {
            return "emo_split_heads";   // a literal: the super constructor asks for it
        }

        @Override
        public int getNumOutputs() {
            return (int) tArguments.get(0).doubleValue();
        }

        private int heads() {
            return (int) tArguments.get(1).doubleValue();
        }

        private int headDim() {
            return (int) tArguments.get(2).doubleValue();
        }

        @Override
        public INDArray[] run(INDArray[] args, boolean[] needed, Outputs out) {
            int parts = getNumOutputs(), heads = heads(), headDim = headDim();
            INDArray x = args[0];
            long batch = args[1].getLong(0), time = args[1].getLong(1);
            if (x.rank() != 2 || x.size(0) != batch * time || x.size(1) != (long) parts * heads * headDim) {
                throw new IllegalArgumentException("split heads: x " + java.util.Arrays.toString(x.shape()) + " is not [" + batch + "·" + time
                        + ", " + parts + "·" + heads + "·" + headDim + "]");
            }
            INDArray[] result = new INDArray[parts];
            FloatBuffer[] bufs = new FloatBuffer[parts];
            for (int j = 0; j < parts; j++) {
                result[j] = out.acquire(new long[]{batch, heads, time, headDim});
                bufs[j] = result[j].data().asNioFloat();
            }
            copy(DenseFloats.of(x), bufs, (int) (batch * time), (int) time, heads, headDim, true);
            return result;
        }

        @Override
        public List<SDVariable> doDiff(List<SDVariable> grads) {
            // dL/dx only: batchTime is an integer shape (SameDiff's own reshape likewise returns one gradient)
            List<SDVariable> in = new ArrayList<>(grads);
            in.add(arg(1));
            return List.of(new Merge(sameDiff, heads(), headDim(), in.toArray(new SDVariable[0])).outputVariable());
        }
    }

    /** (k × [B, H, T, hd], batchTime) → [B·T, k·H·hd] (the parts side by side); tArgs: H, hd (for the gradient, a split). */
    public static final class Merge extends HostOp {
        public Merge() {}

        Merge(SameDiff sd, int heads, int headDim, SDVariable... partsAndBatchTime) {
            super(sd, partsAndBatchTime);
            addTArgument(heads, headDim);
        }

        @Override
        public String opName() {
            return "emo_merge_heads";   // a literal: the super constructor asks for it
        }

        @Override
        public int getNumOutputs() {
            return 1;
        }

        @Override
        public INDArray[] run(INDArray[] args, boolean[] needed, Outputs out) {
            int parts = args.length - 1;   // the last is batchTime
            long[] s = args[0].shape();
            if (s.length != 4) throw new IllegalArgumentException("merge heads: [B, H, T, hd] expected, got " + java.util.Arrays.toString(s));
            FloatBuffer[] bufs = new FloatBuffer[parts];
            for (int j = 0; j < parts; j++) {
                if (!java.util.Arrays.equals(s, args[j].shape())) throw new IllegalArgumentException("merge heads: parts of different shapes");
                bufs[j] = DenseFloats.of(args[j]);
            }
            INDArray rows = out.acquire(new long[]{s[0] * s[2], parts * s[1] * s[3]});
            copy(rows.data().asNioFloat(), bufs, (int) (s[0] * s[2]), (int) s[2], (int) s[1], (int) s[3], false);
            return new INDArray[]{rows};
        }

        @Override
        public List<SDVariable> doDiff(List<SDVariable> grads) {
            // each part's gradient: its columns of dL/drows, back in head-major order
            SDVariable batchTime = arg(args().length - 1);
            int parts = args().length - 1;
            Split split = new Split(sameDiff, grads.get(0), batchTime, parts, (int) tArguments.get(0).doubleValue(), (int) tArguments.get(1).doubleValue());
            return List.of(split.outputVariables());
        }
    }
}

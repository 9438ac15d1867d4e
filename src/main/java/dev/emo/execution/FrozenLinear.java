package dev.emo.execution;

import dev.emo.kernels.HostOp;
import dev.emo.lowbit.FrozenWeight;
import dev.emo.lowbit.PackedMatrix;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * A frozen base projection held in 16 or 8 bits ({@link FrozenWeight}): y = x·Wᵀ (Linear, W [out, in])
 * or x·W (GPT-2's Conv1D, W [in, out]), and in the backward pass only dL/dx (the weight is frozen: no
 * gradient product for it, as with LoRA today). ND4J's CPU backend has no fast 16-bit product, so W is
 * decoded a panel of rows at a time into float32 scratch (≈ 4 MB, reused) and each panel goes through
 * sgemm: the whole weight is never inflated. Lives here, beside HostBlas, because it calls sgemm on
 * panels; the op itself is a {@link HostOp} like the kernels' fused ops.
 */
public final class FrozenLinear {
    /** Floats of decoded scratch per panel: big enough for sgemm to run at speed, small enough to stay in L3/L2 reach. */
    private static final int PANEL_FLOATS = 1 << 20;
    private static final ThreadLocal<FloatBuffer> SCRATCH = ThreadLocal.withInitial(
            () -> ByteBuffer.allocateDirect(PANEL_FLOATS * 4).order(ByteOrder.nativeOrder()).asFloatBuffer());

    private FrozenLinear() {}

    static {
        HostOp.register(new Forward(), new Backward());
    }

    /** x [N, in] → [N, out] through the frozen weight (the op's only input is x). */
    public static SDVariable apply(SameDiff sd, SDVariable x, FrozenWeight w) {
        return new Forward(sd, x, w.id()).outputVariable();
    }

    /** y [N, out] = x [N, in] · W (in its layout), panel by panel. */
    static void forward(FrozenWeight w, INDArray x, INDArray y) {
        PackedMatrix m = w.matrix();
        int n = rows(x), in = (int) w.inFeatures(), out = (int) w.outFeatures(), p = panelRows(m);
        FloatBuffer scratch = SCRATCH.get();
        FloatPointer xs = pointer(x), ys = pointer(y), ws = new FloatPointer(scratch);
        for (int r0 = 0; r0 < m.rows(); r0 += p) {
            int r1 = Math.min(m.rows(), r0 + p), k = r1 - r0;
            m.decodeRows(r0, r1, scratch);                 // [k, cols]
            if (!w.inOut()) {                              // rows are outputs: y[:, r0:r1] = x · panelᵀ
                HostBlas.gemm(false, true, n, k, in, xs, 0, in, ws, 0, in, 0f, ys, r0, out);
            } else {                                       // rows are inputs: y += x[:, r0:r1] · panel
                HostBlas.gemm(false, false, n, out, k, xs, r0, in, ws, 0, out, r0 == 0 ? 0f : 1f, ys, 0, out);
            }
        }
    }

    /** dx [N, in] = dY [N, out] · W (Linear) or dY · Wᵀ (Conv1D), panel by panel. */
    static void backward(FrozenWeight w, INDArray g, INDArray dx) {
        PackedMatrix m = w.matrix();
        int n = rows(g), in = (int) w.inFeatures(), out = (int) w.outFeatures(), p = panelRows(m);
        FloatBuffer scratch = SCRATCH.get();
        FloatPointer gs = pointer(g), ds = pointer(dx), ws = new FloatPointer(scratch);
        for (int r0 = 0; r0 < m.rows(); r0 += p) {
            int r1 = Math.min(m.rows(), r0 + p), k = r1 - r0;
            m.decodeRows(r0, r1, scratch);
            if (!w.inOut()) {                              // dx += dY[:, r0:r1] · panel [k, in]
                HostBlas.gemm(false, false, n, in, k, gs, r0, out, ws, 0, in, r0 == 0 ? 0f : 1f, ds, 0, in);
            } else {                                       // dx[:, r0:r1] = dY · panelᵀ ([k, out])
                HostBlas.gemm(false, true, n, k, out, gs, 0, out, ws, 0, out, 0f, ds, r0, in);
            }
        }
    }

    private static int panelRows(PackedMatrix m) {
        return Math.max(1, Math.min(m.rows(), PANEL_FLOATS / m.cols()));
    }

    private static int rows(INDArray a) {
        if (a.rank() != 2) throw new IllegalArgumentException("frozen linear takes [N, features], got " + java.util.Arrays.toString(a.shape()));
        return (int) a.size(0);
    }

    private static FloatPointer pointer(INDArray a) {
        if (a.dataType() != DataType.FLOAT || a.ordering() != 'c' || a.isView() || a.offset() != 0 || a.data().length() != a.length()) {
            throw new IllegalArgumentException("frozen linear needs dense float arrays");
        }
        return (FloatPointer) a.data().addressPointer();
    }

    private static INDArray dense(INDArray a) {
        return a.dataType() == DataType.FLOAT && a.ordering() == 'c' && !a.isView() && a.offset() == 0 && a.data().length() == a.length()
                ? a : a.castTo(DataType.FLOAT).dup('c');
    }

    /** x [N, in] → y [N, out]; iArgs: the weight's id. */
    public static final class Forward extends HostOp {
        public Forward() {}

        Forward(SameDiff sd, SDVariable x, long id) {
            super(sd, x);
            addIArgument(id);
        }

        @Override
        public String opName() {
            return "emo_frozen_linear";   // a literal: the super constructor asks for it
        }

        @Override
        public int getNumOutputs() {
            return 1;
        }

        @Override
        public INDArray[] run(INDArray[] args, boolean[] needed, Outputs out) {
            FrozenWeight w = FrozenWeight.byId(iArgs()[0]);
            INDArray x = dense(args[0]);
            if (x.rank() != 2 || x.size(1) != w.inFeatures()) {
                throw new IllegalArgumentException(w.name() + ": input " + java.util.Arrays.toString(x.shape()) + ", expected [N, " + w.inFeatures() + "]");
            }
            INDArray y = out.acquire(new long[]{x.size(0), w.outFeatures()});
            forward(w, x, y);
            return new INDArray[]{y};
        }

        @Override
        public List<SDVariable> doDiff(List<SDVariable> grads) {
            return List.of(new Backward(sameDiff, grads.get(0), iArgs()[0]).outputVariable());
        }
    }

    /** dL/dy [N, out] → dL/dx [N, in]; iArgs: the weight's id. */
    public static final class Backward extends HostOp {
        public Backward() {}

        Backward(SameDiff sd, SDVariable g, long id) {
            super(sd, g);
            addIArgument(id);
        }

        @Override
        public String opName() {
            return "emo_frozen_linear_bp";   // a literal: the super constructor asks for it
        }

        @Override
        public int getNumOutputs() {
            return 1;
        }

        @Override
        public INDArray[] run(INDArray[] args, boolean[] needed, Outputs out) {
            FrozenWeight w = FrozenWeight.byId(iArgs()[0]);
            INDArray g = dense(args[0]);
            INDArray dx = out.acquire(new long[]{g.size(0), w.inFeatures()});
            backward(w, g, dx);
            return new INDArray[]{dx};
        }

        @Override
        public List<SDVariable> doDiff(List<SDVariable> grads) {
            throw new UnsupportedOperationException("second derivatives of a frozen linear layer");
        }
    }
}

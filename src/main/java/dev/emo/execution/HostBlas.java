package dev.emo.execution;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * 2-D float matrix products straight through OpenBLAS's CBLAS on the CPU backend, for the
 * executor's {@code matmul} ops. libnd4j's matmul reaches the same sgemm for large products, but
 * for the few-row products of decoding it is 3–20× slower (measured: one row × GPT-2's [768, 3072]
 * weight 7.3 ms vs 0.34 ms with sgemv; × the [50257, 768] head 38 ms vs 8 ms), which made every
 * sampled token cost ≈ 0.4 s. The one place that calls a backend-specific BLAS from the executor;
 * on any other backend {@link #AVAILABLE} is false and libnd4j runs the op.
 */
final class HostBlas {
    static final boolean AVAILABLE = detect();

    private HostBlas() {}

    private static boolean detect() {
        try {
            return Nd4j.getBackend().getClass().getSimpleName().startsWith("Cpu") && openblas.cblas_sdot(0, (FloatPointer) null, 1, (FloatPointer) null, 1) == 0f;
        } catch (Throwable t) {
            return false;
        }
    }

    /** Whether {@link #matmul} can compute this op: plain row-major float matrices, α = 1, β = 0, no transposed result. */
    static boolean accepts(INDArray[] args, long[] iArgs, double[] tArgs) {
        if (!AVAILABLE || args.length != 2) return false;
        if (iArgs.length > 2 && iArgs[2] != 0) return false;
        if (tArgs.length >= 2 && (tArgs[0] != 1.0 || tArgs[1] != 0.0)) return false;
        return plain(args[0]) && plain(args[1]);
    }

    private static boolean plain(INDArray a) {
        return a.dataType() == DataType.FLOAT && a.rank() == 2 && !a.isEmpty() && !a.isView() && a.offset() == 0
                && a.ordering() == 'c' && a.stride(1) == 1 && a.stride(0) == a.size(1);
    }

    /** Output shape of op(a)·op(b). */
    static long[] shape(INDArray a, boolean ta, INDArray b, boolean tb) {
        return new long[]{ta ? a.size(1) : a.size(0), tb ? b.size(0) : b.size(1)};
    }

    /** c [M, N] = op(a) [M, K] · op(b) [K, N]; c is a plain row-major float matrix. */
    static void matmul(INDArray a, boolean ta, INDArray b, boolean tb, INDArray c) {
        int m = (int) c.size(0), n = (int) c.size(1), k = (int) (ta ? a.size(0) : a.size(1));
        if ((tb ? b.size(1) : b.size(0)) != k) throw new IllegalArgumentException("matmul: inner sizes differ");
        FloatPointer pa = (FloatPointer) a.data().addressPointer(), pb = (FloatPointer) b.data().addressPointer();
        FloatPointer pc = (FloatPointer) c.data().addressPointer();
        int ldb = (int) b.size(1);
        if (m == 1) {   // a single row (or column): a matrix-vector product reads the weights once
            if (tb) openblas.cblas_sgemv(openblas.CblasRowMajor, openblas.CblasNoTrans, n, k, 1f, pb, ldb, pa, 1, 0f, pc, 1);
            else openblas.cblas_sgemv(openblas.CblasRowMajor, openblas.CblasTrans, k, n, 1f, pb, ldb, pa, 1, 0f, pc, 1);
            return;
        }
        openblas.cblas_sgemm(openblas.CblasRowMajor, ta ? openblas.CblasTrans : openblas.CblasNoTrans,
                tb ? openblas.CblasTrans : openblas.CblasNoTrans, m, n, k, 1f, pa, (int) a.size(1), pb, ldb, 0f, pc, n);
    }
}

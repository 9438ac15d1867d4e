package dev.emo.execution;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;

/**
 * Float matrix products (2-D, or batched over equal leading dimensions) straight through OpenBLAS's CBLAS on the CPU backend, for the
 * executor's {@code matmul} ops. libnd4j's matmul reaches the same sgemm for large products, but
 * for the few-row products of decoding it is 3–20× slower (measured: one row × GPT-2's [768, 3072]
 * weight 7.3 ms vs 0.34 ms with sgemv; × the [50257, 768] head 38 ms vs 8 ms), which made every
 * sampled token cost ≈ 0.4 s. On any other backend {@link #AVAILABLE} is false and libnd4j runs the op.
 *
 * <p>The one place in {@code src/main} that names a backend-specific package (here OpenBLAS's
 * bindings, which both Maven profiles bring); {@code BackendImportsTest} keeps it so, and the
 * {@code cuda} profile compiles because of it.
 */
public final class HostBlas {
    static final boolean AVAILABLE = detect();

    private HostBlas() {}

    private static boolean detect() {
        try {
            return Nd4j.getBackend().getClass().getSimpleName().startsWith("Cpu") && openblas.cblas_sdot(0, (FloatPointer) null, 1, (FloatPointer) null, 1) == 0f;
        } catch (Throwable t) {
            return false;
        }
    }

    /**
     * LAPACK's divide-and-conquer symmetric eigensolver (dsyevd, on the host on every backend):
     * {@code a} [d, d] column-major in, its eigenvectors (columns) out; {@code ascending} gets the
     * eigenvalues in ascending order. ~3× faster than ND4J's dsyev at d = 1280.
     */
    public static void symmetricEigen(double[] a, int d, double[] ascending) {
        int info = openblas.LAPACKE_dsyevd(openblas.LAPACK_COL_MAJOR, (byte) 'V', (byte) 'U', d, a, d, ascending);
        if (info != 0) throw new IllegalStateException("LAPACK dsyevd failed (info " + info + ")");
    }

    /** a [.., M, K] · op(b): through CBLAS where it can, else ND4J's mmul. */
    public static INDArray product(INDArray a, INDArray b, boolean transposeB) {
        if (accepts(new INDArray[]{a, b}, new long[]{0, transposeB ? 1 : 0, 0}, new double[0])) {
            INDArray c = Nd4j.createUninitialized(DataType.FLOAT, shape(a, false, b, transposeB));
            matmul(a, false, b, transposeB, c);
            return c;
        }
        return Nd4j.matmul(a, b, false, transposeB, false);
    }

    /**
     * Whether {@link #matmul} can compute this op: plain row-major float arrays of the same rank ≥ 2
     * with equal leading (batch) dimensions, α = 1, β = 0, no transposed result.
     */
    static boolean accepts(INDArray[] args, long[] iArgs, double[] tArgs) {
        if (!AVAILABLE || args.length != 2) return false;
        if (iArgs.length > 2 && iArgs[2] != 0) return false;
        if (tArgs.length >= 2 && (tArgs[0] != 1.0 || tArgs[1] != 0.0)) return false;
        INDArray a = args[0], b = args[1];
        if (!plain(a) || !plain(b) || a.rank() != b.rank()) return false;
        for (int i = 0; i < a.rank() - 2; i++) if (a.size(i) != b.size(i)) return false;
        return true;
    }

    /** Whether matmul_bp(x, y, g) can be computed as products here (same conditions for all three arrays). */
    static boolean acceptsBackward(INDArray[] args, long[] iArgs) {
        if (!AVAILABLE || args.length != 3 || (iArgs.length > 2 && iArgs[2] != 0)) return false;
        INDArray x = args[0], y = args[1], g = args[2];
        if (!plain(x) || !plain(y) || !plain(g) || x.rank() != y.rank() || g.rank() != x.rank()) return false;
        for (int i = 0; i < x.rank() - 2; i++) if (x.size(i) != y.size(i) || g.size(i) != x.size(i)) return false;
        return true;
    }

    /** Float, not empty, owning a dense row-major buffer (ND4J gives size-1 dimensions stride 1, so strides are not compared). */
    private static boolean plain(INDArray a) {
        return a.dataType() == DataType.FLOAT && a.rank() >= 2 && !a.isEmpty() && !a.isView() && a.offset() == 0
                && a.ordering() == 'c' && a.data().length() == a.length() && a.elementWiseStride() == 1;
    }

    /** Output shape of op(a)·op(b) over the last two dimensions. */
    static long[] shape(INDArray a, boolean ta, INDArray b, boolean tb) {
        int r = a.rank();
        long[] out = a.shape().clone();
        out[r - 2] = ta ? a.size(r - 1) : a.size(r - 2);
        out[r - 1] = tb ? b.size(r - 2) : b.size(r - 1);
        return out;
    }

    /** c [..., M, N] = op(a) [..., M, K] · op(b) [..., K, N], one product per leading index; c plain row-major. */
    static void matmul(INDArray a, boolean ta, INDArray b, boolean tb, INDArray c) {
        int r = a.rank();
        int m = (int) c.size(r - 2), n = (int) c.size(r - 1), k = (int) (ta ? a.size(r - 2) : a.size(r - 1));
        if ((tb ? b.size(r - 1) : b.size(r - 2)) != k) throw new IllegalArgumentException("matmul: inner sizes differ");
        int lda = (int) a.size(r - 1), ldb = (int) b.size(r - 1);
        long batches = c.length() / ((long) m * n);
        FloatPointer pa = (FloatPointer) a.data().addressPointer(), pb = (FloatPointer) b.data().addressPointer();
        FloatPointer pc = (FloatPointer) c.data().addressPointer();
        if (batches == 1) {
            product(pa, ta, lda, pb, tb, ldb, pc, m, n, k);
            return;
        }
        if ((long) m * n * k <= SMALL_PRODUCT) {
            // many small products (attention heads while decoding): a CBLAS call costs ≈ 0.25 ms here
            // however small the product (thread hand-offs), so these run as plain loops on this thread
            small(a.data().asNioFloat(), ta, lda, b.data().asNioFloat(), tb, ldb, c.data().asNioFloat(), batches, m, n, k);
            return;
        }
        FloatPointer xa = new FloatPointer(pa), xb = new FloatPointer(pb), xc = new FloatPointer(pc);
        for (long i = 0; i < batches; i++) {
            xa.position(pa.position() + i * m * k);
            xb.position(pb.position() + i * k * n);
            xc.position(pc.position() + i * m * n);
            product(xa, ta, lda, xb, tb, ldb, xc, m, n, k);
        }
    }

    /** Rows up to which a product runs as one sgemv per row, when the weight fits in cache (bytes). */
    private static final int ROWS_AS_GEMV = 8;
    private static final long GEMV_CACHE_BYTES = 16L << 20;

    /** Multiply-adds per product up to which batched products run as Java loops. */
    private static final long SMALL_PRODUCT = 1L << 16;

    /** The small products, accumulated in double (more exact than sgemm's float sums, and as cheap at these sizes). */
    private static void small(FloatBuffer a, boolean ta, int lda, FloatBuffer b, boolean tb, int ldb, FloatBuffer c,
                              long batches, int m, int n, int k) {
        double[] acc = new double[n];
        for (long bi = 0; bi < batches; bi++) {
            int oa = (int) (bi * m * k), ob = (int) (bi * k * n), oc = (int) (bi * m * n);
            for (int i = 0; i < m; i++) {
                java.util.Arrays.fill(acc, 0.0);
                for (int p = 0; p < k; p++) {
                    double aip = ta ? a.get(oa + p * lda + i) : a.get(oa + i * lda + p);
                    if (tb) {   // B[j, p]: column p of the stored rows
                        for (int j = 0; j < n; j++) acc[j] += aip * b.get(ob + j * ldb + p);
                    } else {    // B[p, :]: a contiguous row
                        int pb = ob + p * ldb;
                        for (int j = 0; j < n; j++) acc[j] += aip * b.get(pb + j);
                    }
                }
                int row = oc + i * n;
                for (int j = 0; j < n; j++) c.put(row + j, (float) acc[j]);
            }
        }
    }

    /**
     * c = op(a)·op(b) + beta·c, row-major, on arrays addressed by element offsets and leading dimensions
     * (panels of a matrix: the frozen-linear op's decoded rows against a column block of x or dY).
     */
    static void gemm(boolean ta, boolean tb, int m, int n, int k, FloatPointer a, long aAt, int lda,
                     FloatPointer b, long bAt, int ldb, float beta, FloatPointer c, long cAt, int ldc) {
        openblas.cblas_sgemm(openblas.CblasRowMajor, ta ? openblas.CblasTrans : openblas.CblasNoTrans,
                tb ? openblas.CblasTrans : openblas.CblasNoTrans, m, n, k, 1f, new FloatPointer(a).position(a.position() + aAt), lda,
                new FloatPointer(b).position(b.position() + bAt), ldb, beta, new FloatPointer(c).position(c.position() + cAt), ldc);
    }

    private static void product(FloatPointer a, boolean ta, int lda, FloatPointer b, boolean tb, int ldb, FloatPointer c,
                                int m, int n, int k) {
        if (!ta && (m == 1 || (m <= ROWS_AS_GEMV && (long) n * k * 4 <= GEMV_CACHE_BYTES))) {
            // few rows: one matrix-vector product per row. The first streams the weight from memory,
            // the others find it in cache; sgemm would pack the weight for a handful of rows first
            // (measured, 24 distinct [768, 3072] weights: 1 row 14 vs 35 ms, 4 rows 24 vs 37, 8 rows 41 vs 47)
            FloatPointer ar = new FloatPointer(a), cr = new FloatPointer(c);
            for (int i = 0; i < m; i++) {
                ar.position(a.position() + (long) i * lda);
                cr.position(c.position() + (long) i * n);
                if (tb) openblas.cblas_sgemv(openblas.CblasRowMajor, openblas.CblasNoTrans, n, k, 1f, b, ldb, ar, 1, 0f, cr, 1);
                else openblas.cblas_sgemv(openblas.CblasRowMajor, openblas.CblasTrans, k, n, 1f, b, ldb, ar, 1, 0f, cr, 1);
            }
            return;
        }
        openblas.cblas_sgemm(openblas.CblasRowMajor, ta ? openblas.CblasTrans : openblas.CblasNoTrans,
                tb ? openblas.CblasTrans : openblas.CblasNoTrans, m, n, k, 1f, a, lda, b, ldb, 0f, c, n);
    }
}

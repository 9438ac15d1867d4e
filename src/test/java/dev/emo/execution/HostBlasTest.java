package dev.emo.execution;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** HostBlas's products (sgemv, sgemm, batched, and the Java loops for small batched ones) against ND4J's mmul in float64. */
class HostBlasTest {
    @Test
    void productsEqualNd4jsInEveryLayout() {
        Assumptions.assumeTrue(HostBlas.AVAILABLE, "HostBlas runs on the CPU backend only");
        Nd4j.getRandom().setSeed(5);
        int[][] mnk = {{1, 300, 40}, {1, 7, 1}, {5, 33, 17}, {64, 70, 90}};
        for (long[] batch : new long[][]{{}, {2, 3}, {4}}) {
            for (int[] s : mnk) {
                for (boolean ta : new boolean[]{false, true}) {
                    for (boolean tb : new boolean[]{false, true}) check(batch, s[0], s[1], s[2], ta, tb);
                }
            }
        }
    }

    private static void check(long[] batch, int m, int n, int k, boolean ta, boolean tb) {
        INDArray a = Nd4j.randn(DataType.FLOAT, concat(batch, ta ? new long[]{k, m} : new long[]{m, k}));
        INDArray b = Nd4j.randn(DataType.FLOAT, concat(batch, tb ? new long[]{n, k} : new long[]{k, n}));
        String what = "batch " + java.util.Arrays.toString(batch) + " m " + m + " n " + n + " k " + k + " ta " + ta + " tb " + tb;
        assertTrue(HostBlas.accepts(new INDArray[]{a, b}, new long[]{ta ? 1 : 0, tb ? 1 : 0, 0}, new double[]{1, 0}), what);
        INDArray c = Nd4j.createUninitialized(DataType.FLOAT, HostBlas.shape(a, ta, b, tb));
        HostBlas.matmul(a, ta, b, tb, c);
        INDArray a64 = a.castTo(DataType.DOUBLE), b64 = b.castTo(DataType.DOUBLE);
        int r = a.rank();
        INDArray expected = Nd4j.matmul(ta ? a64.swapAxes(r - 2, r - 1) : a64, tb ? b64.swapAxes(r - 2, r - 1) : b64);
        double diff = expected.sub(c.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(diff < 1e-4, what + ": max |Δ| " + diff);
    }

    static long[] concat(long[] a, long[] b) {
        long[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void declinesWhatItCannotRun() {
        INDArray a = Nd4j.rand(DataType.FLOAT, 4, 6), b = Nd4j.rand(DataType.FLOAT, 6, 3);
        long[] plain = {0, 0, 0};
        assertFalse(HostBlas.accepts(new INDArray[]{a, b}, plain, new double[]{2, 0}), "alpha ≠ 1");
        assertFalse(HostBlas.accepts(new INDArray[]{a, b}, new long[]{0, 0, 1}, new double[]{1, 0}), "transposed result");
        assertFalse(HostBlas.accepts(new INDArray[]{a.castTo(DataType.DOUBLE), b.castTo(DataType.DOUBLE)}, plain, new double[0]), "double");
        assertFalse(HostBlas.accepts(new INDArray[]{a.transpose(), b}, plain, new double[0]), "a transposed view");
        assertFalse(HostBlas.accepts(new INDArray[]{Nd4j.rand(DataType.FLOAT, 2, 4, 6), Nd4j.rand(DataType.FLOAT, 3, 6, 3)}, plain,
                new double[0]), "batch sizes that would broadcast");
    }
}

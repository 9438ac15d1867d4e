package dev.emo.evaluation.mauve;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/**
 * Exhaustive L2 nearest-centroid search over a fixed set of points, the way faiss's
 * {@code IndexFlatL2} does it above 20 queries ({@code exhaustive_L2sqr_blas}): in blocks of 4096
 * points, one sgemm for the inner products, then ‖x‖² + ‖c‖² − 2·x·c in float32, clamped at 0,
 * and the first smallest distance wins. The point blocks and the product buffers are allocated
 * once, because k-means calls this hundreds of times (allocating ND4J arrays is costly here).
 */
final class NearestCentroid implements AutoCloseable {
    private static final int QUERY_BLOCK = 4096;
    private final int d;
    private final int k;
    private final float[] pointNorms;
    private final INDArray[] blocks;     // [rows, d] each
    private final INDArray[] products;   // [rows, k] each; blocks of equal size share one
    private final INDArray centroidArray; // [k, d]

    NearestCentroid(float[] x, int n, int d, int k) {
        this.d = d;
        this.k = k;
        this.pointNorms = squaredNorms(x, n, d);
        int nb = (n + QUERY_BLOCK - 1) / QUERY_BLOCK;
        blocks = new INDArray[nb];
        products = new INDArray[nb];
        for (int b = 0; b < nb; b++) {
            int i0 = b * QUERY_BLOCK;
            int rows = Math.min(n, i0 + QUERY_BLOCK) - i0;
            blocks[b] = Nd4j.create(Arrays.copyOfRange(x, i0 * d, (i0 + rows) * d), new long[] {rows, d}, DataType.FLOAT);
            products[b] = b > 0 && rows == QUERY_BLOCK ? products[0] : Nd4j.create(DataType.FLOAT, new long[] {rows, k}, 'c');
        }
        centroidArray = Nd4j.create(DataType.FLOAT, new long[] {k, d}, 'c');
    }

    /** labels[i] = argmin_j ‖x_i − c_j‖², dis[i] = that squared distance. */
    void search(float[] centroids, int[] labels, float[] dis) {
        centroidArray.data().setData(centroids);
        float[] centroidNorms = squaredNorms(centroids, k, d);
        for (int b = 0; b < blocks.length; b++) {
            int i0 = b * QUERY_BLOCK;
            INDArray ip = products[b];
            Nd4j.gemm(blocks[b], centroidArray, ip, false, true, 1.0, 0.0); // [rows, k] = X_b · Cᵀ
            float[] dots = ip.data().asFloat();
            int rows = (int) blocks[b].rows();
            for (int r = 0; r < rows; r++) {
                int i = i0 + r;
                float best = Float.MAX_VALUE;
                int label = -1;
                for (int j = 0; j < k; j++) {
                    float dist = pointNorms[i] + centroidNorms[j] - 2 * dots[r * k + j];
                    if (dist < 0) dist = 0; // round-off for a point equal to its centroid
                    if (dist < best) {
                        best = dist;
                        label = j;
                    }
                }
                labels[i] = label;
                dis[i] = best;
            }
        }
    }

    static float[] squaredNorms(float[] x, int rows, int d) {
        float[] norms = new float[rows];
        for (int i = 0; i < rows; i++) {
            float s = 0;
            for (int j = 0; j < d; j++) s += x[i * d + j] * x[i * d + j];
            norms[i] = s;
        }
        return norms;
    }

    @Override
    public void close() {
        for (INDArray b : blocks) b.close();
        java.util.Set<INDArray> distinct = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        distinct.addAll(Arrays.asList(products));
        distinct.forEach(INDArray::close);
        centroidArray.close();
    }
}

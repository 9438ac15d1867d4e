package dev.emo.evaluation.mauve;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The reference's {@code cluster_feats}: stack the rows as [Q; P], scale each to unit L2 norm,
 * reduce with PCA to the dimension that keeps the requested variance, cluster with faiss-style
 * k-means, and count each side's rows per cluster.
 */
final class Quantizer {
    private static final Logger LOG = LogManager.getLogger(Quantizer.class);
    /** The reference seeds its PCA subsample with seed + 5 and faiss with seed + 2. */
    static final int PCA_SUBSAMPLE_SEED_OFFSET = 5;
    static final int KMEANS_SEED_OFFSET = 2;

    private Quantizer() {}

    /**
     * @param pCounts                rows of P per cluster
     * @param qCounts                rows of Q per cluster
     * @param explainedVarianceRatio the PCA's ratios, descending
     * @param kmeansObjective        the kept redo's final objective (faiss's {@code obj[-1]})
     */
    record Quantized(double[] pCounts, double[] qCounts, int pcaDim, double[] explainedVarianceRatio,
                     float kmeansObjective) {}

    static Quantized quantize(float[][] p, float[][] q, int k, Mauve.Options o) {
        int n = q.length + p.length;
        int d = p[0].length;
        long t0 = System.nanoTime();
        INDArray rows = Nd4j.create(unitRows(q, p, d), new long[] {n, d}, DataType.DOUBLE); // [n, d], Q first
        int[] fitRows = o.pcaMaxData() > 0 && o.pcaMaxData() < n
                ? Mt19937.numpyChoiceWithoutReplacement(n, o.pcaMaxData(), (long) o.seed() + PCA_SUBSAMPLE_SEED_OFFSET)
                : null;
        Pca.Projection pca = Pca.fitAndProject(rows, fitRows, o.explainedVariance());
        rows.close();
        float[] x = pca.projected().data().asFloat(); // [n·dim], row-major
        pca.projected().close();
        long t1 = System.nanoTime();
        FaissKMeans.Model model = FaissKMeans.train(x, n, pca.dim(), k, o.kmeansMaxIter(), o.kmeansRedo(),
                (long) o.seed() + KMEANS_SEED_OFFSET);
        int[] labels = FaissKMeans.assign(x, n, model);
        long t2 = System.nanoTime();
        double[] qCounts = new double[k];
        double[] pCounts = new double[k];
        for (int i = 0; i < n; i++) {
            if (i < q.length) qCounts[labels[i]]++;
            else pCounts[labels[i]]++;
        }
        LOG.info("MAUVE quantisation: {} rows × {} → PCA {} dims ({} s), k-means k={} ({} s, iterations per redo {})",
                n, d, pca.dim(), seconds(t1 - t0), k, seconds(t2 - t1), java.util.Arrays.toString(model.iterations()));
        return new Quantized(pCounts, qCounts, pca.dim(), pca.explainedVarianceRatio(), model.objective());
    }

    /** [Q; P] as one row-major double array, each row divided by its L2 norm (zero rows stay zero, as in sklearn). */
    static double[] unitRows(float[][] q, float[][] p, int d) {
        double[] out = new double[(q.length + p.length) * d];
        int row = 0;
        for (float[][] side : new float[][][] {q, p}) {
            for (float[] r : side) {
                double ss = 0;
                for (float v : r) ss += (double) v * v;
                double norm = ss == 0 ? 1 : Math.sqrt(ss);
                for (int j = 0; j < d; j++) out[row * d + j] = r[j] / norm;
                row++;
            }
        }
        return out;
    }

    private static String seconds(long nanos) {
        return String.format("%.2f", nanos / 1e9);
    }
}

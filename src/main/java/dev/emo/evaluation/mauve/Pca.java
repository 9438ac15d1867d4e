package dev.emo.evaluation.mauve;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The reference's PCA step: sklearn {@code PCA(n_components=None, whiten=False)} with its exact
 * ("full") solver, fitted on the centred rows, then the first i+1 components where the cumulative
 * explained-variance ratio first reaches the threshold. Computed in double through the d×d scatter
 * matrix Xcᵀ·Xc and LAPACK's symmetric eigensolver (dsyev via ND4J): its eigenvalues are the
 * squared singular values sklearn takes from the SVD, and it costs one n·d² product plus a d³
 * eigensolve, which is far cheaper than an SVD of the n×d data for n ≫ d.
 */
final class Pca {
    private Pca() {}

    /**
     * @param explainedVarianceRatio every component's share of the variance, descending
     * @param dim                    components kept (i + 1)
     * @param projected              [n, dim] float32: every row, centred by the fit's mean, projected
     */
    record Projection(double[] explainedVarianceRatio, int dim, INDArray projected) {}

    /**
     * @param rows    [n, d] double, already unit-normalised
     * @param fitRows rows the PCA is fitted on (null: all of them)
     */
    static Projection fitAndProject(INDArray rows, int[] fitRows, double explainedVariance) {
        int d = (int) rows.columns();
        INDArray fit = fitRows == null ? rows : rows.getRows(fitRows);
        INDArray mean = fit.mean(0).reshape(1, d);                        // [1, d]
        INDArray centred = fit.subRowVector(mean);                        // [m, d]
        INDArray scatter = centred.transpose().mmul(centred).dup('f');    // [d, d], symmetric
        INDArray eigenvalues = Nd4j.create(DataType.DOUBLE, d);
        int info = Nd4j.getBlasWrapper().lapack().syev('V', 'U', scatter, eigenvalues);
        if (info != 0) throw new IllegalStateException("LAPACK dsyev failed to converge (info " + info + ")");
        // LAPACK returns ascending eigenvalues with the eigenvectors in the columns of `scatter`
        double[] ascending = eigenvalues.toDoubleVector();
        int kept = (int) Math.min(fit.rows(), d); // sklearn reports min(m, d) components
        double[] variance = new double[kept];
        for (int i = 0; i < kept; i++) variance[i] = Math.max(0, ascending[d - 1 - i]); // rounding can leave −1e-16
        double total = NumpyMath.sum(variance);
        double[] ratio = new double[kept];
        for (int i = 0; i < kept; i++) ratio[i] = variance[i] / total;
        int dim = retainedDimension(ratio, explainedVariance);

        int[] topColumns = new int[dim];
        for (int i = 0; i < dim; i++) topColumns[i] = d - 1 - i;          // largest variance first, as sklearn orders them
        INDArray components = scatter.getColumns(topColumns);            // [d, dim]
        INDArray projected = (fit == rows ? centred : rows.subRowVector(mean)).mmul(components); // [n, dim]
        return new Projection(ratio, dim, projected.castTo(DataType.FLOAT).dup('c'));
    }

    /** i + 1 for the first i with cumsum(ratio)[i] ≥ threshold (np.argmax of the mask: 0 if none). */
    static int retainedDimension(double[] ratio, double threshold) {
        double cumulative = 0;
        for (int i = 0; i < ratio.length; i++) {
            cumulative += ratio[i];
            if (cumulative >= threshold) return i + 1;
        }
        return 1;
    }
}

package dev.emo.evaluation.mauve;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.Arrays;

/**
 * k-means as {@code faiss.Kmeans(d, k, niter, nredo, seed)} trains it (faiss 1.7.3
 * {@code Clustering::train_encoded}, L2, not spherical), in float32 like faiss:
 * <ul>
 *   <li>more than 256·k points: train on the first 256·k of {@code rand_perm(n, seed)};</li>
 *   <li>each redo r starts from the points {@code rand_perm(n, seed + 1 + r·15486557)[0..k)};</li>
 *   <li>Lloyd iterations: assign to the nearest centroid (BLAS inner products), objective = Σ squared
 *       distances, centroids = means, empty clusters re-seeded by splitting a large one;</li>
 *   <li>the redo with the lowest final objective is kept.</li>
 * </ul>
 * faiss always runs all {@code niter} iterations; we stop at a fixed point (an assignment equal to
 * the previous one), after which every further iteration would recompute the same centroids,
 * assignment and objective, so the result is the one faiss's remaining iterations would end with.
 * The random draws are faiss's own (MT19937), so only float rounding in the inner products (our
 * BLAS is not faiss's) separates the two; on the reference's feature cases that never mattered
 * (161 of 161 seeded runs reproduced faiss), but a near-tie may resolve otherwise elsewhere.
 */
final class FaissKMeans {
    private static final Logger LOG = LogManager.getLogger(FaissKMeans.class);
    static final int MAX_POINTS_PER_CENTROID = 256;
    private static final long REDO_SEED_STRIDE = 15486557L;
    private static final long SPLIT_SEED = 1234;
    /** faiss's split perturbation: "a bit above machine epsilon for float16". */
    private static final double SPLIT_EPS = 1 / 1024.;

    private FaissKMeans() {}

    /** Trained centroids [k·d] (row-major), the kept redo's objective and iterations run per redo. */
    record Model(float[] centroids, int k, int d, float objective, int[] iterations) {}

    /** @param x [n·d] row-major float32 points */
    static Model train(float[] x, int n, int d, int k, int niter, int nredo, long seed) {
        if (n < k) throw new IllegalArgumentException(n + " points cannot make " + k + " clusters");
        float[] train = x;
        int nx = n;
        if (n > (long) k * MAX_POINTS_PER_CENTROID) {
            nx = k * MAX_POINTS_PER_CENTROID;
            int[] perm = Mt19937.faissRandPerm(n, seed);
            train = new float[nx * d];
            for (int i = 0; i < nx; i++) System.arraycopy(x, perm[i] * d, train, i * d, d);
            LOG.debug("k-means: training on {} of {} points", nx, n);
        }
        if (nx == k) return new Model(Arrays.copyOf(x, k * d), k, d, 0f, new int[] {0}); // faiss copies the points
        int[] iterations = new int[nredo];
        float bestObjective = Float.POSITIVE_INFINITY;
        float[] best = null;
        try (NearestCentroid search = new NearestCentroid(train, nx, d, k)) {
            int[] assign = new int[nx];
            int[] previous = new int[nx];
            float[] dis = new float[nx];
            for (int redo = 0; redo < nredo; redo++) {
                int[] perm = Mt19937.faissRandPerm(nx, seed + 1 + redo * REDO_SEED_STRIDE);
                float[] centroids = new float[k * d];
                for (int i = 0; i < k; i++) System.arraycopy(train, perm[i] * d, centroids, i * d, d);
                float objective = 0;
                for (int it = 0; it < niter; it++) {
                    search.search(centroids, assign, dis);
                    objective = 0;
                    for (int j = 0; j < nx; j++) objective += dis[j];
                    iterations[redo] = it + 1;
                    if (it > 0 && Arrays.equals(assign, previous)) break; // fixed point, see the class comment
                    float[] counts = computeCentroids(train, nx, d, k, assign, centroids);
                    splitClusters(d, k, nx, counts, centroids);
                    System.arraycopy(assign, 0, previous, 0, nx);
                }
                LOG.debug("k-means redo {}: objective {} after {} iterations", redo, objective, iterations[redo]);
                if (objective < bestObjective) {
                    bestObjective = objective;
                    best = centroids;
                }
            }
        }
        return new Model(best, k, d, bestObjective, iterations);
    }

    /** Nearest centroid of every point (faiss {@code index.search(x, 1)}). */
    static int[] assign(float[] x, int n, Model model) {
        int[] labels = new int[n];
        try (NearestCentroid search = new NearestCentroid(x, n, model.d(), model.k())) {
            search.search(model.centroids(), labels, new float[n]);
        }
        return labels;
    }

    /** Centroids ← means of their points, summed in float in point order as faiss does; returns the counts. */
    static float[] computeCentroids(float[] x, int n, int d, int k, int[] assign, float[] centroids) {
        float[] counts = new float[k];
        Arrays.fill(centroids, 0f);
        for (int i = 0; i < n; i++) {
            int c = assign[i] * d;
            counts[assign[i]] += 1.0f;
            for (int j = 0; j < d; j++) centroids[c + j] += x[i * d + j];
        }
        for (int ci = 0; ci < k; ci++) {
            if (counts[ci] == 0) continue;
            float norm = 1 / counts[ci];
            for (int j = 0; j < d; j++) centroids[ci * d + j] *= norm;
        }
        return counts;
    }

    /**
     * faiss {@code split_clusters}: each empty cluster takes a copy of a donor found by walking the
     * clusters cyclically and accepting cluster j with probability (size_j − 1)/(n − k), with a
     * ±1/1024 perturbation on alternating coordinates (opposite signs for donor and copy); the
     * donor's count is shared. The generator is re-seeded with 1234 on every call, as in faiss.
     */
    static int splitClusters(int d, int k, int n, float[] counts, float[] centroids) {
        Mt19937 rng = new Mt19937(SPLIT_SEED);
        int nsplit = 0;
        for (int ci = 0; ci < k; ci++) {
            if (counts[ci] != 0) continue;
            int cj = 0;
            for (;; cj = (cj + 1) % k) {
                float p = (float) ((counts[cj] - 1.0) / (float) (n - k));
                float r = rng.faissRandFloat();
                if (r < p) break;
            }
            System.arraycopy(centroids, cj * d, centroids, ci * d, d);
            for (int j = 0; j < d; j++) {
                boolean even = j % 2 == 0;
                centroids[ci * d + j] *= even ? 1 + SPLIT_EPS : 1 - SPLIT_EPS;
                centroids[cj * d + j] *= even ? 1 - SPLIT_EPS : 1 + SPLIT_EPS;
            }
            counts[ci] = counts[cj] / 2;
            counts[cj] -= counts[ci];
            nsplit++;
        }
        return nsplit;
    }
}

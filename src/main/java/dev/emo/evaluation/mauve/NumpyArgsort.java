package dev.emo.evaluation.mauve;

/**
 * numpy's default {@code argsort} of float64 (kind "quicksort": an introsort) as numpy 1.24 runs it
 * ({@code npysort/quicksort.cpp}, {@code npysort_heapsort.h}), because the MAUVE area depends on
 * the order of tied points: with identical histograms every interior curve point is (1, 1) and
 * ties the end points, and numpy's partition scheme (not a stable sort) decides which comes first
 * (1.0 rather than 0.75 at the default 27 points; ≤ 16 points go through insertion sort only and
 * give 0.75). Newer numpy can dispatch to SIMD sorts with another tie order; this is the one the
 * reference vectors were produced with.
 */
final class NumpyArgsort {
    /** numpy partitions ranges with more than this many elements beyond the first. */
    private static final int SMALL_QUICKSORT = 15;

    private NumpyArgsort() {}

    static int[] argsort(double[] v) {
        int n = v.length;
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        int pl = 0;
        int pr = n - 1;
        int[] stack = new int[2 * 64]; // two bounds per pushed partition, ≤ log2(n) of them
        int[] depths = new int[64];
        int sp = 0;
        int dp = 0;
        int cdepth = msb(n) * 2;
        for (;;) {
            if (cdepth < 0) {
                heapsort(v, idx, pl, pr - pl + 1); // not enough progress: heapsort the range
            } else {
                while (pr - pl > SMALL_QUICKSORT) {
                    // median of three into pl, pm, pr; the pivot is parked at pr − 1
                    int pm = pl + ((pr - pl) >> 1);
                    if (less(v[idx[pm]], v[idx[pl]])) swap(idx, pm, pl);
                    if (less(v[idx[pr]], v[idx[pm]])) swap(idx, pr, pm);
                    if (less(v[idx[pm]], v[idx[pl]])) swap(idx, pm, pl);
                    double vp = v[idx[pm]];
                    int pi = pl;
                    int pj = pr - 1;
                    swap(idx, pm, pj);
                    for (;;) {
                        do ++pi; while (less(v[idx[pi]], vp));
                        do --pj; while (less(vp, v[idx[pj]]));
                        if (pi >= pj) break;
                        swap(idx, pi, pj);
                    }
                    swap(idx, pi, pr - 1);
                    // push the larger partition, continue with the smaller
                    if (pi - pl < pr - pi) {
                        stack[sp++] = pi + 1;
                        stack[sp++] = pr;
                        pr = pi - 1;
                    } else {
                        stack[sp++] = pl;
                        stack[sp++] = pi - 1;
                        pl = pi + 1;
                    }
                    depths[dp++] = --cdepth;
                }
                insertionSort(v, idx, pl, pr);
            }
            if (sp == 0) break;
            pr = stack[--sp];
            pl = stack[--sp];
            cdepth = depths[--dp];
        }
        return idx;
    }

    private static void insertionSort(double[] v, int[] idx, int pl, int pr) {
        for (int pi = pl + 1; pi <= pr; ++pi) {
            int vi = idx[pi];
            double vp = v[vi];
            int pj = pi;
            while (pj > pl && less(vp, v[idx[pj - 1]])) {
                idx[pj] = idx[pj - 1];
                pj--;
            }
            idx[pj] = vi;
        }
    }

    /** numpy's {@code aheapsort_} on idx[off .. off+n−1], with its 1-based heap indexing. */
    private static void heapsort(double[] v, int[] idx, int off, int n) {
        int base = off - 1; // a[i] ≡ idx[base + i]
        for (int l = n >> 1; l > 0; --l) {
            siftDown(v, idx, base, l, n, idx[base + l]);
        }
        for (; n > 1; ) {
            int tmp = idx[base + n];
            idx[base + n] = idx[base + 1];
            n -= 1;
            siftDown(v, idx, base, 1, n, tmp);
        }
    }

    private static void siftDown(double[] v, int[] idx, int base, int start, int n, int tmp) {
        int i = start;
        for (int j = start << 1; j <= n; ) {
            if (j < n && less(v[idx[base + j]], v[idx[base + j + 1]])) j++;
            if (less(v[tmp], v[idx[base + j]])) {
                idx[base + i] = idx[base + j];
                i = j;
                j += j;
            } else {
                break;
            }
        }
        idx[base + i] = tmp;
    }

    /** numpy's float ordering: NaNs sort last. */
    private static boolean less(double a, double b) {
        return a < b || (b != b && a == a);
    }

    private static void swap(int[] a, int i, int j) {
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }

    private static int msb(int n) {
        int depth = 0;
        while ((n >>>= 1) != 0) depth++;
        return depth;
    }
}

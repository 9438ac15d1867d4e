package dev.emo.kernels;

import java.util.stream.IntStream;

/** Row-parallel loops for the host kernels: contiguous blocks of rows, one per core (the common pool's threads and the caller's). */
final class Rows {
    /** Elements below which a loop runs on the calling thread (decode-sized arrays). */
    private static final long PARALLEL_FROM = 1L << 15;

    private Rows() {}

    /** A loop body over rows [from, to). */
    interface Body {
        void run(int from, int to);
    }

    /** Runs {@code body} over {@code rows} rows of {@code width} elements; width 0 forces one block on this thread. */
    static void parallel(int rows, long width, Body body) {
        int chunks = (long) rows * width < PARALLEL_FROM ? 1 : Math.min(rows, Math.max(1, Runtime.getRuntime().availableProcessors()));
        if (chunks == 1) {
            body.run(0, rows);
            return;
        }
        IntStream.range(0, chunks).parallel().forEach(c -> body.run((int) ((long) rows * c / chunks), (int) ((long) rows * (c + 1) / chunks)));
    }
}

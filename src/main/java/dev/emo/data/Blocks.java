package dev.emo.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Training examples of {@code blockSize} tokens, made the two ways run_clm makes them.
 * Grouped: every document's ids (with the tokenizer's special tokens) concatenated and cut into
 * blocks, the remainder dropped. Line by line: one document per example, truncated to the block
 * and right-padded, padding masked out.
 */
public final class Blocks {
    /** ids and attention mask [count][blockSize]. */
    public record Examples(long[][] ids, long[][] mask, int blockSize) {
        public int size() {
            return ids.length;
        }

        public long tokens() {
            long n = 0;
            for (long[] m : mask) for (long x : m) n += x;
            return n;
        }
    }

    private Blocks() {}

    public static Examples grouped(List<int[]> docs, int blockSize) {
        long total = 0;
        for (int[] d : docs) total += d.length;
        int count = (int) (total / blockSize);
        long[][] ids = new long[count][blockSize], mask = new long[count][blockSize];
        int b = 0, t = 0;
        outer:
        for (int[] d : docs) {
            for (int id : d) {
                if (b == count) break outer;
                ids[b][t] = id;
                mask[b][t] = 1;
                if (++t == blockSize) {
                    t = 0;
                    b++;
                }
            }
        }
        return new Examples(ids, mask, blockSize);
    }

    public static Examples lineByLine(List<int[]> docs, int blockSize, int padId) {
        List<long[]> ids = new ArrayList<>(), mask = new ArrayList<>();
        for (int[] d : docs) {
            long[] row = new long[blockSize], m = new long[blockSize];
            java.util.Arrays.fill(row, Math.max(padId, 0));
            int n = Math.min(d.length, blockSize);
            for (int i = 0; i < n; i++) {
                row[i] = d[i];
                m[i] = 1;
            }
            if (n > 1) {
                ids.add(row);
                mask.add(m);
            }
        }
        return new Examples(ids.toArray(long[][]::new), mask.toArray(long[][]::new), blockSize);
    }
}

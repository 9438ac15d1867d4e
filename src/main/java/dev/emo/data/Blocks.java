package dev.emo.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Training examples of {@code blockSize} tokens, made the two ways run_clm makes them, or from
 * instruction data. Grouped: every document's ids (with the tokenizer's special tokens) concatenated
 * and cut into blocks, the remainder dropped. Line by line: one document per example, truncated to the
 * block and right-padded, padding masked out. Instruction rows ({@link #of}): one example, or several
 * packed, per row of at most the block, with their labels; a batch pads its rows to its longest.
 */
public final class Blocks {
    /**
     * ids and attention mask [count][≤ blockSize] (run_clm's rows are all blockSize long); labels (-100 where
     * no loss is taken) and segments (1, 2, … per packed example) of the same shape, or null for run_clm's
     * rows (labels: the ids; one example a row).
     */
    public record Examples(long[][] ids, long[][] mask, long[][] labels, long[][] segments, int blockSize) {
        public Examples(long[][] ids, long[][] mask, int blockSize) {
            this(ids, mask, null, null, blockSize);
        }

        public int size() {
            return ids.length;
        }

        /** The first n rows. */
        public Examples first(int n) {
            return new Examples(Arrays.copyOf(ids, n), Arrays.copyOf(mask, n), labels == null ? null : Arrays.copyOf(labels, n),
                    segments == null ? null : Arrays.copyOf(segments, n), blockSize);
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

    /**
     * Instruction rows (see {@link Packing}): a new segment wherever the positions restart at 0; segments null
     * where no row holds two examples, so unpacked rows take the model's ordinary path.
     */
    public static Examples of(List<Packing.Row> rows, int blockSize) {
        int n = rows.size();
        long[][] ids = new long[n][], mask = new long[n][], labels = new long[n][], segments = new long[n][];
        boolean packed = false;
        for (int i = 0; i < n; i++) {
            Packing.Row r = rows.get(i);
            int len = r.inputIds().length;
            ids[i] = new long[len];
            mask[i] = new long[len];
            labels[i] = new long[len];
            segments[i] = new long[len];
            for (int j = 0, segment = 0; j < len; j++) {
                if (r.positionIds()[j] == 0) segment++;
                ids[i][j] = r.inputIds()[j];
                mask[i][j] = 1;
                labels[i][j] = r.labels()[j];
                segments[i][j] = segment;
            }
            packed |= len > 0 && segments[i][len - 1] > 1;
        }
        return new Examples(ids, mask, labels, packed ? segments : null, blockSize);
    }

    public static Examples lineByLine(List<int[]> docs, int blockSize, int padId) {
        List<long[]> ids = new ArrayList<>(), mask = new ArrayList<>();
        for (int[] d : docs) {
            long[] row = new long[blockSize], m = new long[blockSize];
            Arrays.fill(row, Math.max(padId, 0));
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

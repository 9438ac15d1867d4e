package dev.emo.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Instruction examples as the model sees them: one row per example, or with packing several examples
 * concatenated into a row of at most blockSize tokens, in file order, starting a new row when the next
 * example does not fit (no example is split over two rows). position_ids restart at 0 with each example,
 * which is what keeps examples apart once attention follows them. An example longer than the block is
 * truncated to it. Each example's first label is -100: nothing of that example predicts it, and in a
 * packed row the one before it would be the previous example's last token (as transformers'
 * DataCollatorWithFlattening does). So the trained tokens are the same packed or not.
 */
public final class Packing {
    /** One row: ids, labels (-100 where no loss is taken) and position ids, all of one length. */
    public record Row(int[] inputIds, int[] labels, int[] positionIds) {
        public int trainedTokens() {
            int n = 0;
            for (int l : labels) if (l != InstructionData.IGNORE) n++;
            return n;
        }
    }

    /** The rows, and how many examples were cut to the block. */
    public record Result(List<Row> rows, int truncated) {}

    private Packing() {}

    public static Result rows(List<InstructionData.Example> examples, int blockSize, boolean pack) {
        List<Row> rows = new ArrayList<>();
        List<Row> pending = new ArrayList<>();
        int pendingTokens = 0, truncated = 0;
        for (InstructionData.Example e : examples) {
            Row one = row(e, blockSize);
            if (one.inputIds().length < e.inputIds().length) truncated++;
            if (!pack) {
                rows.add(one);
                continue;
            }
            if (pendingTokens + one.inputIds().length > blockSize) {
                rows.add(concat(pending));
                pending.clear();
                pendingTokens = 0;
            }
            pending.add(one);
            pendingTokens += one.inputIds().length;
        }
        if (!pending.isEmpty()) rows.add(concat(pending));
        return new Result(rows, truncated);
    }

    private static Row row(InstructionData.Example e, int blockSize) {
        int n = Math.min(e.inputIds().length, blockSize);
        int[] labels = Arrays.copyOf(e.labels(), n), positions = new int[n];
        if (n > 0) labels[0] = InstructionData.IGNORE;
        for (int i = 0; i < n; i++) positions[i] = i;
        return new Row(Arrays.copyOf(e.inputIds(), n), labels, positions);
    }

    private static Row concat(List<Row> parts) {
        int n = parts.stream().mapToInt(r -> r.inputIds().length).sum(), at = 0;
        int[] ids = new int[n], labels = new int[n], positions = new int[n];
        for (Row r : parts) {
            int len = r.inputIds().length;
            System.arraycopy(r.inputIds(), 0, ids, at, len);
            System.arraycopy(r.labels(), 0, labels, at, len);
            System.arraycopy(r.positionIds(), 0, positions, at, len);
            at += len;
        }
        return new Row(ids, labels, positions);
    }
}

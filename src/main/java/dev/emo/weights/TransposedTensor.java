package dev.emo.weights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * A matrix stored [cols, rows] presented as [rows, cols] (a Linear weight an ONNX exporter transposed
 * for its MatMul). A row of the result is a column of the stored matrix, spread over the whole stored
 * tensor, so the stored bytes are read once into one buffer per visit (one tensor, never the model)
 * and the blocks are gathered from it.
 */
public record TransposedTensor(StoredTensor stored) implements StoredTensor {
    public TransposedTensor {
        if (stored.shape().length != 2) throw new IllegalArgumentException(stored.name() + ": only a matrix transposes");
    }

    @Override
    public String name() {
        return stored.name();
    }

    @Override
    public String dtype() {
        return stored.dtype();
    }

    @Override
    public long[] shape() {
        long[] s = stored.shape();
        return new long[]{s[1], s[0]};
    }

    @Override
    public Path file() {
        return stored.file();
    }

    @Override
    public void forEachRows(ByteBuffer scratch, Rows consumer) {
        int w = elementBytes(), rows = Math.toIntExact(rows()), cols = Math.toIntExact(cols());   // stored: [cols, rows]
        if (rows == 0 || cols == 0) return;
        ByteBuffer all = ByteBuffer.allocate(Math.multiplyExact(Math.multiplyExact(rows, cols), w)).order(ByteOrder.LITTLE_ENDIAN);
        stored.forEachRows(scratch, (first, bytes) -> all.put(Math.toIntExact(first * rows * w), bytes, bytes.position(), bytes.remaining()));
        int perBlock = (int) Math.max(1, Math.min(rows, scratch.capacity() / ((long) cols * w)));
        ByteBuffer block = (long) perBlock * cols * w <= scratch.capacity() ? scratch : ByteBuffer.allocate(perBlock * cols * w);
        block.order(ByteOrder.LITTLE_ENDIAN);
        for (int r0 = 0; r0 < rows; r0 += perBlock) {
            int n = Math.min(perBlock, rows - r0);
            block.clear();
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < cols; c++) {
                    int from = (c * rows + r0 + r) * w, to = (r * cols + c) * w;
                    switch (w) {
                        case 2 -> block.putShort(to, all.getShort(from));
                        case 4 -> block.putInt(to, all.getInt(from));
                        default -> block.putLong(to, all.getLong(from));
                    }
                }
            }
            consumer.accept(r0, block.limit(n * cols * w));
        }
    }
}

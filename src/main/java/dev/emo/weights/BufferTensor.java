package dev.emo.weights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/** A tensor whose bytes are already in memory (an ONNX initializer's raw_data inside the parsed model): blocks are slices, no copy. */
public record BufferTensor(String name, String dtype, long[] shape, Path file, ByteBuffer bytes) implements StoredTensor {
    public BufferTensor {
        shape = shape.clone();
        bytes = bytes.asReadOnlyBuffer();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public void forEachRows(ByteBuffer scratch, Rows consumer) {   // the scratch only sets the block size: blocks are slices
        long rowBytes = cols() * elementBytes(), rows = rows();
        if (rows == 0 || rowBytes == 0) return;
        long perBlock = Math.max(1, Math.min(rows, scratch.capacity() / rowBytes));
        for (long r = 0; r < rows; r += perBlock) {
            long n = Math.min(perBlock, rows - r);
            ByteBuffer block = bytes.slice(Math.toIntExact(bytes.position() + r * rowBytes), Math.toIntExact(n * rowBytes));
            consumer.accept(r, block.order(ByteOrder.LITTLE_ENDIAN));
        }
    }
}

package dev.emo.weights;

import dev.emo.UserError;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A tensor stored as bytes [begin, begin + count · width) of a file (a safetensors entry, ONNX external
 * data), read with positioned reads into the caller's block buffer: the file's pages stay in the page
 * cache, not in this process (a memory-mapped file would count every page it touches as resident).
 */
public record FileTensor(String name, String dtype, long[] shape, Path file, long begin) implements StoredTensor {
    public FileTensor {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public void forEachRows(ByteBuffer scratch, Rows consumer) {
        long rowBytes = cols() * elementBytes(), rows = rows();
        if (rows == 0 || rowBytes == 0) return;
        long perBlock = Math.max(1, Math.min(rows, scratch.capacity() / rowBytes));
        if (perBlock * rowBytes > Integer.MAX_VALUE) throw new IllegalArgumentException(name + ": a row of " + rowBytes + " bytes exceeds 2 GB");
        ByteBuffer block = perBlock * rowBytes <= scratch.capacity() ? scratch : ByteBuffer.allocate((int) (perBlock * rowBytes));
        block.order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            for (long r = 0; r < rows; r += perBlock) {
                long n = Math.min(perBlock, rows - r), at = begin + r * rowBytes;
                block.clear().limit((int) (n * rowBytes));
                while (block.hasRemaining()) {
                    if (ch.read(block, at + block.position()) < 0) throw new IOException("the file ends inside tensor '" + name + "'");
                }
                consumer.accept(r, block.flip());
            }
        } catch (IOException e) {
            throw UserError.of(file, "cannot be read (" + e.getMessage() + ")", "check the file");
        }
    }
}

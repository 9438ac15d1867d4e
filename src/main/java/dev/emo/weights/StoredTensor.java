package dev.emo.weights;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * One tensor of a weights file, read on demand: its name, shape and stored type are known from the
 * file's header, its bytes are read only while a loader visits them, a block of whole rows at a time.
 * So a model is filled tensor by tensor into its own storage (float32 parameters, packed projection
 * rows) and a second copy of the model never exists.
 *
 * <p>Rows are the slices along the last dimension ([a, b, c] has a·b rows of c values); a vector is one
 * row, a scalar one row of one value. Bytes are little-endian, as safetensors and ONNX store them.
 */
public interface StoredTensor {
    /** The Hugging Face parameter name (or the file's key before a checkpoint maps it). */
    String name();

    /** How the values are stored, as safetensors names them: F32, F16, BF16, F64, I64 or I32. */
    String dtype();

    /** The shape in Hugging Face's layout (c order). */
    long[] shape();

    /** The file the bytes come from, for messages. */
    Path file();

    /**
     * Visits the stored bytes in order, rows [0, rows()) in blocks of as many whole rows as fit in
     * {@code scratch} (cleared and reused; a row larger than it gets a buffer of its own). The buffer
     * given to the consumer is little-endian, holds exactly the block's bytes, and is valid only during
     * the call. One scratch serves a whole checkpoint: loading allocates nothing per block.
     */
    void forEachRows(ByteBuffer scratch, Rows consumer);

    /** A block of rows: the index of its first row and its bytes. */
    @FunctionalInterface
    interface Rows {
        void accept(long firstRow, ByteBuffer bytes);
    }

    default long cols() {
        long[] s = shape();
        return s.length == 0 ? 1 : s[s.length - 1];
    }

    default long rows() {
        long[] s = shape();
        long n = 1;
        for (int i = 0; i < s.length - 1; i++) n *= s[i];
        return n;
    }

    default long count() {
        return rows() * cols();
    }

    /** Bytes of one value. */
    default int elementBytes() {
        return StoredTensors.width(dtype());
    }

    /** The same tensor under another name (a checkpoint key mapped to its parameter). */
    default StoredTensor named(String name) {
        StoredTensor self = this;
        return new StoredTensor() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String dtype() {
                return self.dtype();
            }

            @Override
            public long[] shape() {
                return self.shape();
            }

            @Override
            public Path file() {
                return self.file();
            }

            @Override
            public void forEachRows(ByteBuffer scratch, Rows consumer) {
                self.forEachRows(scratch, consumer);
            }
        };
    }
}

package dev.emo.weights;

import dev.emo.lowbit.BaseDType;
import dev.emo.lowbit.PackedMatrix;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Stored tensors into a model's storage, a block of rows at a time: into a float32 array in place,
 * or into a {@link PackedMatrix} (the file's own bytes where it stores the packed type, else decoded
 * row by row and encoded). One reader holds one block buffer and one float block, reused for every
 * tensor, so loading a checkpoint holds nothing beyond the model but those (and allocates nothing per
 * block: a streamed load that made garbage per block grew the Java heap by 0.6 GB on a 2 GB model).
 * Filling refuses NaN and infinite values block by block. Not thread-safe: one reader per load.
 */
public final class TensorReader {
    /** The size of the blocks read: large enough for sequential reads, small beside any model. */
    public static final int BLOCK_BYTES = 4 << 20;

    private final ByteBuffer block = ByteBuffer.allocateDirect(BLOCK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private float[] values = new float[0];

    /** The whole tensor as float32 in its shape (c order), unchecked: what {@code SafeTensors.read} gives. */
    public INDArray toFloat(StoredTensor t) {
        long[] shape = t.shape();
        INDArray out = shape.length == 0 ? Nd4j.scalar(0f) : Nd4j.create(DataType.FLOAT, shape, 'c');
        copyInto(t, out, false);
        return out;
    }

    /** Fills {@code dst} (float32, the tensor's shape, checked by the caller) in place; NaN or infinity is a UserError. */
    public void fill(StoredTensor t, INDArray dst) {
        if (dst.dataType() == DataType.FLOAT && dst.ordering() == 'c' && !dst.isView() && dst.data().offset() == 0) {
            copyInto(t, dst, true);
        } else {   // a parameter someone replaced by a view: fill a dense copy, then assign
            INDArray dense = Nd4j.create(DataType.FLOAT, dst.shape(), 'c');
            copyInto(t, dense, true);
            dst.assign(dense);
            dense.close();
        }
    }

    /** Writes the values straight into the dense array's host memory, block by block. */
    private void copyInto(StoredTensor t, INDArray dense, boolean check) {
        java.nio.FloatBuffer host = dense.data().asNioFloat();
        long cols = t.cols();
        t.forEachRows(block, (first, bytes) -> {
            int n = bytes.remaining() / t.elementBytes();
            float[] v = values(n);
            StoredTensors.decode(t.dtype(), bytes, 0, v, n);
            if (check) requireFinite(t, v, n);
            host.put(Math.toIntExact(first * cols), v, 0, n);
        });
        Nd4j.getAffinityManager().tagLocation(dense, AffinityManager.Location.HOST);   // a device copy, where there is one, is stale
    }

    /**
     * The matrix packed as {@code dtype}: the stored bytes themselves where the file holds that type
     * (bfloat16 in BF16, float16 in F16: exact), else each row decoded to float32 and rounded or quantised
     * as {@link PackedMatrix#encodeRow} does (F32 → bfloat16, BF16 → Q8_0, …).
     */
    public PackedMatrix packed(StoredTensor t, BaseDType dtype) {
        long[] shape = t.shape();
        if (shape.length != 2) throw new IllegalArgumentException(t.name() + ": packed weights are matrices, got rank " + shape.length);
        PackedMatrix m = new PackedMatrix(dtype, shape[0], shape[1]);
        boolean raw = dtype == BaseDType.BFLOAT16 && t.dtype().equals("BF16") || dtype == BaseDType.FLOAT16 && t.dtype().equals("F16");
        int cols = (int) shape[1], width = t.elementBytes();
        float[] row = values(cols);
        t.forEachRows(block, (first, bytes) -> {
            if (raw) {
                requireFinite16(t, bytes, dtype == BaseDType.BFLOAT16 ? 0x7f80 : 0x7c00);
                m.putRaw((int) first, bytes);
                return;
            }
            for (int r = 0, n = bytes.remaining() / (cols * width); r < n; r++) {
                StoredTensors.decode(t.dtype(), bytes, r * cols * width, row, cols);
                requireFinite(t, row, cols);
                m.encodeRow((int) first + r, row);
            }
        });
        return m;
    }

    /** max |stored − ref| over the tensor ({@code ref}: float32, the same shape), read a block at a time. */
    public double maxAbsDiff(StoredTensor t, INDArray ref) {
        INDArray flat = ref.reshape('c', new long[]{ref.length()});
        long cols = t.cols();
        double[] max = {0};
        t.forEachRows(block, (first, bytes) -> {
            int n = bytes.remaining() / t.elementBytes();
            float[] v = values(n);
            StoredTensors.decode(t.dtype(), bytes, 0, v, n);
            float[] r = flat.get(NDArrayIndex.interval(first * cols, first * cols + n)).dup().data().asFloat();
            for (int i = 0; i < n; i++) max[0] = Math.max(max[0], Math.abs((double) v[i] - r[i]));
        });
        return max[0];
    }

    /** The float block, grown to {@code n} values where a block needs more. */
    private float[] values(int n) {
        if (values.length < n) values = new float[n];
        return values;
    }

    private static void requireFinite(StoredTensor t, float[] v, int n) {
        for (int i = 0; i < n; i++) if (!Float.isFinite(v[i])) throw StoredTensors.nonFinite(t.file(), t.name());
    }

    /** 16-bit floats are NaN or infinite where every exponent bit is set ({@code exponentMask}). */
    private static void requireFinite16(StoredTensor t, ByteBuffer bytes, int exponentMask) {
        for (int i = bytes.position(); i < bytes.limit(); i += 2) {
            if ((bytes.getShort(i) & exponentMask) == exponentMask) throw StoredTensors.nonFinite(t.file(), t.name());
        }
    }
}

package dev.emo.weights;

import dev.emo.UserError;
import dev.emo.lowbit.BaseDType;
import dev.emo.lowbit.PackedMatrix;
import dev.emo.util.HalfFloats;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Stored tensors into a model's storage, a block of rows at a time: into a float32 array, or into a
 * {@link PackedMatrix} (the file's own bytes where it stores the packed type, else decoded row by row
 * and encoded). What is held beyond the destination is one block ({@link #BLOCK_BYTES}), so loading
 * a checkpoint never holds a second copy of it. Loading refuses NaN and infinite values block by block.
 */
public final class StoredTensors {
    /** The size of the blocks read: large enough for sequential reads, small beside any model. */
    public static final long BLOCK_BYTES = 4L << 20;

    private StoredTensors() {}

    /** Bytes of one value of a dtype as safetensors names it; -1 for a type no reader here supports. */
    public static int width(String dtype) {
        return switch (dtype) {
            case "F32", "I32" -> 4;
            case "F16", "BF16" -> 2;
            case "F64", "I64" -> 8;
            default -> -1;
        };
    }

    /** NaN or infinite weights would turn every logit into NaN, silently: refused at load (adapters and models alike). */
    public static UserError nonFinite(Path file, String name) {
        return UserError.of(file, name + " holds NaN or infinite values", "use a copy saved before training diverged, or retrain");
    }

    /** The whole tensor as float32 in its shape (c order), unchecked: what {@code SafeTensors.read} gives. */
    public static INDArray toFloat(StoredTensor t) {
        long[] shape = t.shape();
        INDArray out = shape.length == 0 ? Nd4j.scalar(0f) : Nd4j.create(DataType.FLOAT, shape, 'c');
        copyInto(t, out, false);
        return out;
    }

    /** Fills {@code dst} (float32, the tensor's shape, checked by the caller) in place; NaN or infinity is a UserError. */
    public static void fill(StoredTensor t, INDArray dst) {
        if (dst.dataType() == DataType.FLOAT && dst.ordering() == 'c' && !dst.isView()) {
            copyInto(t, dst, true);
        } else {   // a parameter someone replaced by a view: fill a dense copy, then assign
            INDArray dense = Nd4j.create(DataType.FLOAT, dst.shape(), 'c');
            copyInto(t, dense, true);
            dst.assign(dense);
            dense.close();
        }
    }

    private static void copyInto(StoredTensor t, INDArray dense, boolean check) {
        INDArray flat = dense.reshape('c', new long[]{dense.length()});   // a view of the dense array
        long cols = t.cols();
        t.forEachRows(BLOCK_BYTES, (first, bytes) -> {
            int n = bytes.remaining() / t.elementBytes();
            float[] v = new float[n];
            decode(t.dtype(), bytes, 0, v, n);
            if (check) requireFinite(t, v, n);
            INDArray block = Nd4j.create(v, new long[]{n}, 'c');
            flat.get(NDArrayIndex.interval(first * cols, first * cols + n)).assign(block);
            block.close();
        });
    }

    /**
     * The matrix packed as {@code dtype}: the stored bytes themselves where the file holds that type
     * (bfloat16 in BF16, float16 in F16: exact), else each row decoded to float32 and rounded or quantised
     * as {@link PackedMatrix#encodeRow} does (F32 → bfloat16, BF16 → Q8_0, …).
     */
    public static PackedMatrix packed(StoredTensor t, BaseDType dtype) {
        long[] shape = t.shape();
        if (shape.length != 2) throw new IllegalArgumentException(t.name() + ": packed weights are matrices, got rank " + shape.length);
        PackedMatrix m = new PackedMatrix(dtype, shape[0], shape[1]);
        boolean raw = dtype == BaseDType.BFLOAT16 && t.dtype().equals("BF16") || dtype == BaseDType.FLOAT16 && t.dtype().equals("F16");
        int cols = (int) shape[1], width = t.elementBytes();
        t.forEachRows(BLOCK_BYTES, (first, bytes) -> {
            if (raw) {
                requireFinite16(t, bytes, dtype == BaseDType.BFLOAT16 ? 0x7f80 : 0x7c00);
                m.putRaw((int) first, bytes);
                return;
            }
            float[] row = new float[cols];
            for (int r = 0, n = bytes.remaining() / (cols * width); r < n; r++) {
                decode(t.dtype(), bytes, r * cols * width, row, cols);
                requireFinite(t, row, cols);
                m.encodeRow((int) first + r, row);
            }
        });
        return m;
    }

    /** max |stored − ref| over the tensor ({@code ref}: float32, the same shape), read a block at a time. */
    public static double maxAbsDiff(StoredTensor t, INDArray ref) {
        INDArray flat = ref.reshape('c', new long[]{ref.length()});
        long cols = t.cols();
        double[] max = {0};
        t.forEachRows(BLOCK_BYTES, (first, bytes) -> {
            int n = bytes.remaining() / t.elementBytes();
            float[] v = new float[n];
            decode(t.dtype(), bytes, 0, v, n);
            float[] r = flat.get(NDArrayIndex.interval(first * cols, first * cols + n)).dup().data().asFloat();
            for (int i = 0; i < n; i++) max[0] = Math.max(max[0], Math.abs((double) v[i] - r[i]));
        });
        return max[0];
    }

    /** {@code n} values of {@code dtype} from {@code src} (little-endian) at byte {@code at}, as float32, into dst[0, n). */
    public static void decode(String dtype, ByteBuffer src, int at, float[] dst, int n) {
        int base = src.position() + at;
        switch (dtype) {
            case "F32" -> { for (int i = 0; i < n; i++) dst[i] = src.getFloat(base + 4 * i); }
            case "F16" -> { for (int i = 0; i < n; i++) dst[i] = HalfFloats.halfToFloat(src.getShort(base + 2 * i)); }
            case "BF16" -> { for (int i = 0; i < n; i++) dst[i] = HalfFloats.bf16ToFloat(src.getShort(base + 2 * i)); }
            case "F64" -> { for (int i = 0; i < n; i++) dst[i] = (float) src.getDouble(base + 8 * i); }
            case "I64" -> { for (int i = 0; i < n; i++) dst[i] = src.getLong(base + 8 * i); }
            case "I32" -> { for (int i = 0; i < n; i++) dst[i] = src.getInt(base + 4 * i); }
            default -> throw new IllegalArgumentException("dtype " + dtype);
        }
    }

    private static void requireFinite(StoredTensor t, float[] v, int n) {
        for (int i = 0; i < n; i++) if (!Float.isFinite(v[i])) throw nonFinite(t.file(), t.name());
    }

    /** 16-bit floats are NaN or infinite where every exponent bit is set ({@code exponentMask}). */
    private static void requireFinite16(StoredTensor t, ByteBuffer bytes, int exponentMask) {
        for (int i = bytes.position(); i < bytes.limit(); i += 2) {
            if ((bytes.getShort(i) & exponentMask) == exponentMask) throw nonFinite(t.file(), t.name());
        }
    }
}

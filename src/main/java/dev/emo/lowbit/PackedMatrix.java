package dev.emo.lowbit;

import dev.emo.util.HalfFloats;
import org.bytedeco.javacpp.BytePointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.stream.IntStream;

/**
 * A [rows, cols] matrix kept off-heap (JavaCPP memory, as ND4J's arrays) in a {@link BaseDType} (bfloat16, float16 or Q8_0), row by row,
 * little-endian as safetensors and GGUF store it. Never inflated whole: {@link #decodeRows} writes a
 * panel of rows as float32 into a caller's scratch buffer. bfloat16/float16 hold a checkpoint's values
 * exactly (written through {@link #putRaw}); from float32 they round to nearest even, as torch's
 * {@code .to()} does. Q8_0 is llama.cpp's: per block of 32 values d = max|x|/127 (kept as float16) and
 * q = round(x/d), decoded as q·d.
 */
public final class PackedMatrix {
    private static final float[] HALF = new float[1 << 16];   // float16 → float32, by bit pattern

    static {
        for (int i = 0; i < HALF.length; i++) HALF[i] = HalfFloats.halfToFloat((short) i);
    }

    private final BaseDType dtype;
    private final int rows, cols;
    private final int rowBytes;
    private final BytePointer memory; // JavaCPP's: not capped by -XX:MaxDirectMemorySize (= -Xmx unless set), as direct ByteBuffers are
    private final ByteBuffer data;    // a view of memory: rows · rowBytes, little-endian

    public PackedMatrix(BaseDType dtype, long rows, long cols) {
        if (!dtype.packed()) throw new IllegalArgumentException("float32 weights stay ND4J arrays");
        if (rows < 1 || cols < 1) throw new IllegalArgumentException("packed matrix of shape [" + rows + ", " + cols + "]");
        long bytes = dtype.bytes(rows, cols);
        if (bytes > Integer.MAX_VALUE) {   // one ByteBuffer; a 13B model's largest projection is 141 MB
            throw new IllegalArgumentException("packed matrix [" + rows + ", " + cols + "] of " + bytes + " bytes exceeds 2 GB");
        }
        this.dtype = dtype;
        this.rows = (int) rows;
        this.cols = (int) cols;
        this.rowBytes = (int) dtype.rowBytes(cols);
        this.memory = new BytePointer(bytes);
        this.data = memory.zero().asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** {@code w} [rows, cols] float, rounded (or quantised) into a new matrix. */
    public static PackedMatrix of(INDArray w, BaseDType dtype) {
        if (w.rank() != 2) throw new IllegalArgumentException("packed weights are matrices, got rank " + w.rank());
        PackedMatrix m = new PackedMatrix(dtype, w.size(0), w.size(1));
        INDArray dense = w.dataType() == DataType.FLOAT && w.ordering() == 'c' && !w.isView() ? w : w.castTo(DataType.FLOAT).dup('c');
        FloatBuffer src = dense.data().asNioFloat();
        float[] row = new float[m.cols];
        for (int r = 0; r < m.rows; r++) {
            src.get(r * m.cols, row, 0, m.cols);
            m.encodeRow(r, row);
        }
        return m;
    }

    /** Random N(0, std²) values generated row by row in the storage format (bench shapes: no float32 copy of the whole). */
    public static PackedMatrix random(BaseDType dtype, long rows, long cols, double std, long seed) {
        PackedMatrix m = new PackedMatrix(dtype, rows, cols);
        IntStream.range(0, 64).parallel().forEach(part -> {
            java.util.SplittableRandom rng = new java.util.SplittableRandom(seed * 1_000_003L + part);   // nextGaussian 6–11 ns vs Random's 58–60
            float[] row = new float[m.cols];
            for (int r = (int) ((long) m.rows * part / 64); r < (int) ((long) m.rows * (part + 1) / 64); r++) {
                for (int c = 0; c < row.length; c++) row[c] = (float) (rng.nextGaussian() * std);
                m.encodeRow(r, row);
            }
        });
        return m;
    }

    public BaseDType dtype() {
        return dtype;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Bytes held off-heap. */
    public long bytes() {
        return data.capacity();
    }

    /** Row {@code r} from float values (rounded to nearest even, or quantised). */
    public void encodeRow(int r, float[] values) {
        int at = r * rowBytes;
        switch (dtype) {
            case BFLOAT16 -> {
                for (int c = 0; c < cols; c++) data.putShort(at + 2 * c, HalfFloats.floatToBf16(values[c]));
            }
            case FLOAT16 -> {
                for (int c = 0; c < cols; c++) data.putShort(at + 2 * c, HalfFloats.floatToHalf(values[c]));
            }
            case Q8_0 -> {
                for (int b0 = 0; b0 < cols; b0 += BaseDType.Q8_BLOCK, at += 2 + BaseDType.Q8_BLOCK) {
                    int end = Math.min(cols, b0 + BaseDType.Q8_BLOCK);
                    float amax = 0;
                    for (int c = b0; c < end; c++) amax = Math.max(amax, Math.abs(values[c]));
                    float d = amax / 127f, id = d != 0 ? 1f / d : 0f;     // llama.cpp quantize_row_q8_0_ref
                    data.putShort(at, HalfFloats.floatToHalf(d));
                    for (int c = b0; c < b0 + BaseDType.Q8_BLOCK; c++) {
                        data.put(at + 2 + c - b0, c < end ? (byte) Math.round(values[c] * id) : 0);
                    }
                }
            }
            default -> throw new IllegalStateException(dtype.name());
        }
    }

    /**
     * Stored bytes as a checkpoint holds them (bfloat16/float16 little-endian, the same type as this
     * matrix): {@code src}'s remaining bytes go to rows from {@code firstRow} on, exactly.
     */
    public void putRaw(int firstRow, ByteBuffer src) {
        if (dtype == BaseDType.Q8_0) throw new IllegalArgumentException("Q8_0 is quantised from float values, not copied");
        int n = src.remaining();
        if (n % rowBytes != 0 || (long) firstRow * rowBytes + n > data.capacity()) {
            throw new IllegalArgumentException(n + " bytes at row " + firstRow + " do not fit [" + rows + ", " + cols + "] " + dtype.flag());
        }
        data.put(firstRow * rowBytes, src.slice(), 0, n);
    }

    /** The stored bytes (read-only view), for writing the matrix back in its own format. */
    public ByteBuffer raw() {
        return data.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Rows [r0, r1) as float32, row-major, into {@code dst} from its index 0 (cols floats a row). */
    public void decodeRows(int r0, int r1, FloatBuffer dst) {
        float[] row = new float[cols];
        for (int r = r0; r < r1; r++) {
            decodeRow(r, row);
            dst.put((r - r0) * cols, row, 0, cols);
        }
    }

    /** Row {@code r} as float32. */
    public void decodeRow(int r, float[] out) {
        int at = r * rowBytes;
        switch (dtype) {
            case BFLOAT16 -> {
                for (int c = 0; c < cols; c++) out[c] = Float.intBitsToFloat((data.getShort(at + 2 * c) & 0xffff) << 16);
            }
            case FLOAT16 -> {
                for (int c = 0; c < cols; c++) out[c] = HALF[data.getShort(at + 2 * c) & 0xffff];
            }
            case Q8_0 -> {
                for (int b0 = 0; b0 < cols; b0 += BaseDType.Q8_BLOCK, at += 2 + BaseDType.Q8_BLOCK) {
                    float d = HALF[data.getShort(at) & 0xffff];
                    int end = Math.min(cols, b0 + BaseDType.Q8_BLOCK);
                    for (int c = b0; c < end; c++) out[c] = data.get(at + 2 + c - b0) * d;
                }
            }
            default -> throw new IllegalStateException(dtype.name());
        }
    }

    /** The whole matrix as float32 [rows, cols] (small models, merging, tests: inflates what this class exists to avoid). */
    public INDArray toFloat() {
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, rows, cols);
        decodeRows(0, rows, out.data().asNioFloat());
        return out;
    }
}

package dev.emo.lowbit;

import dev.emo.util.HalfFloats;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The stored formats, value by value: 16-bit types round to nearest even and decode exactly; Q8_0 is llama.cpp's. */
class PackedMatrixTest {
    private static INDArray sample(int rows, int cols, long seed) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(DataType.FLOAT, rows, cols);
    }

    @Test
    void sixteenBitTypesRoundAsTorchAndDecodeExactly() {
        INDArray w = sample(5, 37, 1);
        for (BaseDType t : new BaseDType[]{BaseDType.BFLOAT16, BaseDType.FLOAT16}) {
            INDArray back = PackedMatrix.of(w, t).toFloat();
            for (int r = 0; r < 5; r++) {
                for (int c = 0; c < 37; c++) {
                    float x = w.getFloat(r, c);
                    float want = t == BaseDType.BFLOAT16 ? HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(x)) : HalfFloats.halfToFloat(HalfFloats.floatToHalf(x));
                    assertEquals(want, back.getFloat(r, c), 0f, t + " [" + r + ", " + c + "]");
                }
            }
            // a second round trip changes nothing: the stored values are representable
            assertEquals(0.0, PackedMatrix.of(back, t).toFloat().sub(back).amaxNumber().doubleValue(), 0.0, t.flag());
        }
    }

    @Test
    void rawBytesAreKeptBitForBit() {
        int rows = 3, cols = 4;
        ByteBuffer bytes = ByteBuffer.allocate(rows * cols * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < rows * cols; i++) bytes.putShort((short) (0x3f80 + 7 * i));   // bf16 patterns near 1.0
        bytes.flip();
        PackedMatrix m = new PackedMatrix(BaseDType.BFLOAT16, rows, cols);
        m.putRaw(0, bytes.duplicate());
        ByteBuffer raw = m.raw();
        for (int i = 0; i < rows * cols; i++) assertEquals(bytes.getShort(2 * i), raw.getShort(2 * i), "short " + i);
        assertEquals(HalfFloats.bf16ToFloat((short) (0x3f80 + 7 * 5)), m.toFloat().getFloat(1, 1), 0f);
        assertThrows(IllegalArgumentException.class, () -> m.putRaw(2, ByteBuffer.allocate(16)), "two rows do not fit after row 2");
    }

    @Test
    void q8_0IsLlamaCppsBlockQuantisation() {
        // one row of 40: a full block of 32 and a padded block of 8
        float[] row = new float[40];
        for (int i = 0; i < row.length; i++) row[i] = (float) Math.sin(i * 0.7) * (i < 32 ? 2f : 0.01f);
        PackedMatrix m = PackedMatrix.of(Nd4j.create(row, new long[]{1, 40}, 'c'), BaseDType.Q8_0);
        assertEquals(2 * 34, m.bytes(), "two blocks of (float16 scale + 32 int8)");
        float[] got = new float[40];
        m.decodeRow(0, got);
        for (int b0 = 0; b0 < 40; b0 += 32) {
            float amax = 0;
            for (int i = b0; i < Math.min(40, b0 + 32); i++) amax = Math.max(amax, Math.abs(row[i]));
            float d = amax / 127f, dStored = HalfFloats.halfToFloat(HalfFloats.floatToHalf(d));
            for (int i = b0; i < Math.min(40, b0 + 32); i++) {
                assertEquals(Math.round(row[i] / d) * dStored, got[i], 0f, "value " + i);
                assertEquals(row[i], got[i], dStored * 0.5f + Math.abs(row[i]) * 1e-3f, "within half a step of the original, value " + i);
            }
        }
    }

    @Test
    void bytesPerFormat() {
        assertEquals(4096L * 4096 * 2, BaseDType.BFLOAT16.bytes(4096, 4096));
        assertEquals(4096L * 128 * 34, BaseDType.Q8_0.bytes(4096, 4096), "8.5 bits a value");
        assertEquals(BaseDType.BFLOAT16, BaseDType.auto("BF16", true));
        assertEquals(BaseDType.FLOAT32, BaseDType.auto("BF16", false), "full fine-tuning keeps float32");
        assertEquals(BaseDType.FLOAT32, BaseDType.auto(null, true), "ONNX exports are float32");
    }
}

package dev.emo.safetensors;

import dev.emo.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The safetensors reader and writer: the byte layout, every dtype the hub uses, and damaged files as one-line errors. */
class SafeTensorsTest {
    @TempDir
    Path tmp;

    /** A file as the reference writer lays it out: 8-byte LE header length, JSON header, data. */
    private Path file(String name, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return Files.write(tmp.resolve(name), b.array());
    }

    private static byte[] le(int bytesPer, long... values) {
        ByteBuffer b = ByteBuffer.allocate(bytesPer * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            if (bytesPer == 2) b.putShort((short) v);
            else if (bytesPer == 4) b.putInt((int) v);
            else b.putLong(v);
        }
        return b.array();
    }

    @Test
    void writtenTensorsReadBackExactly() throws IOException {
        Map<String, INDArray> t = new LinkedHashMap<>();
        t.put("model.embed_tokens.weight", Nd4j.linspace(DataType.FLOAT, -3, 12, 1).reshape(4, 3).divi(7));
        t.put("model.norm.weight", Nd4j.createFromArray(1.5f, Float.MIN_VALUE, -0f));
        Path f = tmp.resolve("model.safetensors");
        SafeTensors.write(f, t, Map.of("format", "pt"));
        byte[] bytes = Files.readAllBytes(f);
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8, "header padded to 8 bytes");
        assertEquals(8 + headerLength + 4 * 15, bytes.length, "header + 15 float32 values");
        assertTrue(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8).contains("\"__metadata__\":{\"format\":\"pt\"}"));
        Map<String, INDArray> back = SafeTensors.read(f);
        assertEquals(t.keySet(), back.keySet());
        for (String k : t.keySet()) {
            assertArrayEquals(t.get(k).shape(), back.get(k).shape(), k);
            assertArrayEquals(t.get(k).data().asFloat(), back.get(k).data().asFloat(), 0f, k);
        }
    }

    @Test
    void halfBfloatDoubleAndIntegerTensorsBecomeFloat() throws IOException {
        // F16 0x3C00 = 1, 0xC000 = -2, 0x0001 = 2^-24 (subnormal), 0x7C00 = +inf; BF16 0x3FC0 = 1.5, 0xC080 = -4
        byte[] f16 = le(2, 0x3C00, 0xC000, 0x0001, 0x7C00), bf16 = le(2, 0x3FC0, 0xC080), i64 = le(8, 7, -3);
        ByteBuffer f64 = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.25).putDouble(-1e-3);
        byte[] data = ByteBuffer.allocate(8 + 4 + 16 + 16).put(f16).put(bf16).put(f64.array()).put(i64).array();
        Path f = file("dtypes.safetensors", "{\"h\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[12,28]},"
                + "\"i\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[28,44]}}", data);
        Map<String, INDArray> t = SafeTensors.read(f);
        assertArrayEquals(new float[]{1f, -2f, 0x1p-24f, Float.POSITIVE_INFINITY}, t.get("h").data().asFloat());
        assertArrayEquals(new long[]{2, 2}, t.get("h").shape());
        assertArrayEquals(new float[]{1.5f, -4f}, t.get("b").data().asFloat());
        assertArrayEquals(new float[]{0.25f, -1e-3f}, t.get("d").data().asFloat());
        assertArrayEquals(new float[]{7f, -3f}, t.get("i").data().asFloat());
    }

    @Test
    void damagedFilesAreOneLineErrors() throws IOException {
        byte[] eight = new byte[8];
        String ok = "\"dtype\":\"F32\",\"shape\":[2]";
        String[][] cases = {
                {"{\"a\":{" + ok + ",\"data_offsets\":[0,16]}}", "outside the 8 data bytes"},
                {"{\"a\":{" + ok + ",\"data_offsets\":[0,4]}}", "needs 8 bytes"},
                {"{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", "dtype 'Q4'"},
                {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", "shape [-2]"},
                {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}", "overlap"},
                {"[1, 2]", "not a JSON object"},
                {"{not json", "not JSON"},
                {"{\"a\":{\"dtype\":\"F32\"}}", "no shape or data_offsets"}};
        for (int i = 0; i < cases.length; i++) {
            Path f = file("bad" + i + ".safetensors", cases[i][0], eight);
            UserError e = assertThrows(UserError.class, () -> SafeTensors.read(f), cases[i][0]);
            assertTrue(e.getMessage().contains("bad" + i + ".safetensors") && e.getMessage().contains(cases[i][1]) && !e.getMessage().contains("\n"),
                    cases[i][0] + " → " + e.getMessage());
        }
        Path huge = Files.write(tmp.resolve("huge.safetensors"), ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array());
        assertTrue(assertThrows(UserError.class, () -> SafeTensors.read(huge)).getMessage().contains("header length"));
        Path tiny = Files.write(tmp.resolve("tiny.safetensors"), new byte[3]);
        assertTrue(assertThrows(UserError.class, () -> SafeTensors.read(tiny)).getMessage().contains("shorter than"));
    }
}

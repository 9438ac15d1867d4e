package dev.emo.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emo.util.HalfFloats;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file written tensor by tensor: the header needs every name, dtype and shape, so they
 * are given up front ({@link Spec}); then the values follow in that order, a block at a time, as
 * floats (rounded to the tensor's dtype, nearest even) or as bytes already in it. Nothing but one
 * block is held, so a model larger than memory in float32 can be written from its packed rows.
 * Written to FILE.tmp; {@link #commit} renames it once every byte is there, {@link #close} without a
 * commit deletes it.
 */
public final class SafeTensorsWriter implements Closeable {
    /** A tensor of the file: its key, dtype (F32, BF16 or F16) and shape. */
    public record Spec(String name, String dtype, long[] shape) {
        public Spec {
            if (!SafeTensors.WRITABLE.contains(dtype)) throw new IllegalArgumentException(name + ": cannot write dtype " + dtype);
            shape = shape.clone();
        }

        long bytes() {
            long n = SafeTensors.widthOf(dtype);
            for (long d : shape) n *= d;
            return n;
        }
    }

    private final Path file, tmp;
    private final List<Spec> specs;
    private final OutputStream out;
    private final ByteBuffer block = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    private int current = -1;       // index of the tensor being written
    private long left;              // its bytes still to come
    private boolean committed;

    /** Opens FILE.tmp and writes the header (padded with spaces to a multiple of 8 bytes, as the reference writer does). */
    public SafeTensorsWriter(Path file, List<Spec> specs, Map<String, String> metadata) throws IOException {
        this.file = file;
        this.tmp = file.resolveSibling(file.getFileName() + ".tmp");
        this.specs = List.copyOf(specs);
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Spec s : this.specs) {
            ObjectNode t = header.putObject(s.name());
            t.put("dtype", s.dtype());
            var shape = t.putArray("shape");
            for (long d : s.shape()) shape.add(d);
            t.putArray("data_offsets").add(offset).add(offset + s.bytes());
            offset += s.bytes();
        }
        byte[] h = json.writeValueAsBytes(header);
        int padded = (h.length + 7) / 8 * 8;
        out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20);
        try {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.write(h);
            for (int i = h.length; i < padded; i++) out.write(' ');
        } catch (IOException e) {
            close();
            throw e;
        }
        advance();
    }

    /** The tensor the next values belong to (null once every tensor is complete). */
    public Spec current() {
        return current < specs.size() ? specs.get(current) : null;
    }

    /** values[from, from + n) of the current tensor (c order, continuing where the last call ended), rounded to its dtype. */
    public void putFloats(float[] values, int from, int n) throws IOException {
        String dtype = require(n * (long) SafeTensors.widthOf(current().dtype())).dtype();
        for (int i = from; i < from + n; i++) {
            if (block.remaining() < 4) flushBlock();
            switch (dtype) {
                case "BF16" -> block.putShort(HalfFloats.floatToBf16(values[i]));
                case "F16" -> block.putShort(HalfFloats.floatToHalf(values[i]));
                default -> block.putFloat(values[i]);
            }
        }
        flushBlock();
        consumed(n * (long) SafeTensors.widthOf(dtype));
    }

    /**
     * A whole array as the current tensor, read a block at a time from its memory (a float32 c-order
     * array as it is; anything else through one dense float32 copy of it), so writing a model's weights
     * makes no copy of each.
     */
    public void putArray(INDArray t) throws IOException {
        if (t.length() > Integer.MAX_VALUE / 4) throw new IllegalArgumentException("a tensor of " + t.length() + " values is larger than this writer handles (2 GB)");
        boolean dense = t.dataType() == DataType.FLOAT && t.ordering() == 'c' && !t.isView() && t.data().offset() == 0;
        INDArray src = dense ? t : t.castTo(DataType.FLOAT).dup('c');
        FloatBuffer values = src.data().asNioFloat();
        float[] v = new float[(int) Math.min(src.length(), 1 << 16)];
        for (long at = 0; at < src.length(); at += v.length) {
            int n = (int) Math.min(v.length, src.length() - at);
            values.get((int) at, v, 0, n);
            putFloats(v, 0, n);
        }
        if (!dense) src.close();
    }

    /** Bytes already in the current tensor's dtype (little-endian): {@code bytes}' remaining ones, which it leaves unread. */
    public void putRaw(ByteBuffer bytes) throws IOException {
        require(bytes.remaining());
        ByteBuffer src = bytes.duplicate();
        byte[] chunk = new byte[Math.min(src.remaining(), 1 << 20)];
        long n = src.remaining();
        while (src.hasRemaining()) {
            int k = Math.min(chunk.length, src.remaining());
            src.get(chunk, 0, k);
            out.write(chunk, 0, k);
        }
        consumed(n);
    }

    /** Checks every tensor is complete and renames FILE.tmp to FILE. */
    public void commit() throws IOException {
        if (current() != null) throw new IllegalStateException("tensor '" + current().name() + "' is incomplete (" + left + " bytes to come)");
        out.close();
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        committed = true;
    }

    /** Without a commit: deletes FILE.tmp (a failed write leaves nothing behind). */
    @Override
    public void close() throws IOException {
        if (committed) return;
        try {
            out.close();
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private Spec require(long bytes) {
        Spec s = current();
        if (s == null || bytes > left) {
            throw new IllegalStateException(bytes + " bytes for " + (s == null ? "no tensor (all are written)" : "tensor '" + s.name() + "', which has " + left + " to come"));
        }
        return s;
    }

    private void consumed(long bytes) {
        left -= bytes;
        if (left == 0) advance();
    }

    /** On to the next tensor that has bytes (an empty tensor has none to write). */
    private void advance() {
        do {
            current++;
        } while (current < specs.size() && specs.get(current).bytes() == 0);
        left = current < specs.size() ? specs.get(current).bytes() : 0;
    }

    private void flushBlock() throws IOException {
        out.write(block.array(), 0, block.position());
        block.clear();
    }
}

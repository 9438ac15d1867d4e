package dev.emo.training;

import dev.emo.UserError;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named float32 tensors in one file (optimizer moments): a magic, a count, then per tensor its
 * name, rank, shape and values, and an end marker so a truncated file is detected.
 */
public final class TensorFile {
    private static final int MAGIC = 0x454d4f54; // "EMOT"
    private static final int END = 0x454e4421;

    private TensorFile() {}

    public static void write(Path file, Map<String, INDArray> tensors) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 20))) {
            out.writeInt(MAGIC);
            out.writeInt(tensors.size());
            for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
                out.writeUTF(e.getKey());
                long[] shape = e.getValue().shape();
                out.writeInt(shape.length);
                for (long d : shape) out.writeLong(d);
                float[] v = e.getValue().castTo(DataType.FLOAT).dup('c').data().asFloat();
                for (float x : v) out.writeFloat(x);
            }
            out.writeInt(END);
        }
    }

    public static Map<String, INDArray> read(Path file) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 20))) {
            if (in.readInt() != MAGIC) throw corrupt(file, "not a tensor file");
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                long[] shape = new long[in.readInt()];
                long count = 1;
                for (int d = 0; d < shape.length; d++) count *= shape[d] = in.readLong();
                float[] v = new float[Math.toIntExact(count)];
                for (int k = 0; k < v.length; k++) v[k] = in.readFloat();
                out.put(name, Nd4j.create(v, shape, 'c'));
            }
            if (in.readInt() != END) throw corrupt(file, "no end marker");
        } catch (EOFException e) {
            throw corrupt(file, "truncated");
        } catch (IOException e) {
            throw corrupt(file, e.getMessage());
        }
        return out;
    }

    private static UserError corrupt(Path file, String why) {
        return UserError.of(file, "corrupt checkpoint file (" + why + ")", "resume from another checkpoint-N folder");
    }
}

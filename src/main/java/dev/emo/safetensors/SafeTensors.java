package dev.emo.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.UserError;
import dev.emo.weights.FileTensor;
import dev.emo.weights.StoredTensor;
import dev.emo.weights.StoredTensors;
import dev.emo.weights.TensorReader;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format (Hugging Face's weights files): an 8-byte little-endian header length, a
 * JSON header mapping each tensor name to {dtype, shape, data_offsets [begin, end)} relative to the
 * byte buffer after the header (plus an optional "__metadata__" of strings), then the raw
 * little-endian bytes. Written directly (no dependency): reading checks every offset, shape and
 * dtype before a byte is interpreted, so a damaged or hostile file is a one-line error, never a
 * crash; values are read as float32 (F16, BF16 and F64 converted), as the models use them.
 */
public final class SafeTensors {
    /** A header larger than this is refused (the format's own limit is 100 MB). */
    static final long MAX_HEADER = 100L << 20;

    private SafeTensors() {}

    /** A tensor's entry in the header. */
    public record Entry(String dtype, long[] shape, long begin, long end) {}

    /** Reads the header only (names, dtypes, shapes, offsets), checked against the file's size. */
    public static Map<String, Entry> header(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return header(file, ch);
        } catch (IOException e) {
            throw UserError.of(file, "cannot be read (" + e.getMessage() + ")", "check the file");
        }
    }

    private static Map<String, Entry> header(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) throw bad(file, "shorter than the 8-byte header length");
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        ch.read(len, 0);
        long n = len.flip().getLong();
        if (n < 2 || n > MAX_HEADER || 8 + n > size) throw bad(file, "header length " + n + " does not fit a file of " + size + " bytes");
        ByteBuffer json = ByteBuffer.allocate((int) n);
        while (json.hasRemaining() && ch.read(json, 8 + json.position()) > 0) { /* read fully */ }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(new String(json.array(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw bad(file, "header is not JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        if (root == null || !root.isObject()) throw bad(file, "header is not a JSON object");
        long dataSize = size - 8 - n;
        Map<String, Entry> out = new LinkedHashMap<>();
        List<long[]> spans = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) continue;
            JsonNode t = e.getValue(), offsets = t.path("data_offsets"), shapeNode = t.path("shape");
            String dtype = t.path("dtype").asText("");
            if (!offsets.isArray() || offsets.size() != 2 || !shapeNode.isArray()) throw bad(file, "tensor '" + e.getKey() + "' has no shape or data_offsets");
            long begin = offsets.get(0).asLong(-1), end = offsets.get(1).asLong(-1);
            long[] shape = new long[shapeNode.size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeNode.get(i).asLong(-1);
                if (shape[i] < 0 || (shape[i] > 0 && count > Long.MAX_VALUE / shape[i])) throw bad(file, "tensor '" + e.getKey() + "' has shape " + shapeNode);
                count *= shape[i];
            }
            int width = widthOf(dtype);
            if (width < 0) throw bad(file, "tensor '" + e.getKey() + "' has dtype '" + dtype + "' (supported: F32, F16, BF16, F64, I64, I32)");
            if (begin < 0 || end < begin || end > dataSize) throw bad(file, "tensor '" + e.getKey() + "' has data_offsets [" + begin + ", " + end + "] outside the " + dataSize + " data bytes");
            if (end - begin != count * width) throw bad(file, "tensor '" + e.getKey() + "' of shape " + shapeNode + " " + dtype + " needs " + count * width + " bytes, its offsets give " + (end - begin));
            spans.add(new long[]{begin, end});
            out.put(e.getKey(), new Entry(dtype, shape, 8 + n + begin, 8 + n + end));
        }
        spans.sort((a, b) -> Long.compare(a[0], b[0]));
        for (int i = 1; i < spans.size(); i++) {
            if (spans.get(i)[0] < spans.get(i - 1)[1]) throw bad(file, "two tensors' data_offsets overlap");
        }
        return out;
    }

    /** Every tensor as float32 [shape] (c order), by name in the file's order. */
    public static Map<String, INDArray> read(Path file) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        TensorReader reader = new TensorReader();
        for (StoredTensor t : tensors(file)) out.put(t.name(), reader.toFloat(t));
        return out;
    }

    /**
     * Every tensor, by key in the file's order, checked against the header but not read: each is read
     * when visited ({@link StoredTensor#forEachRows}), so a loader fills a model tensor by tensor.
     */
    public static List<StoredTensor> tensors(Path file) {
        List<StoredTensor> out = new ArrayList<>();
        header(file).forEach((key, e) -> out.add(new FileTensor(key, e.dtype(), e.shape(), file, e.begin())));
        return out;
    }

    static int widthOf(String dtype) {
        return StoredTensors.width(dtype);
    }

    private static UserError bad(Path file, String problem) {
        return UserError.of(file, "not a valid safetensors file: " + problem, "re-save it with save_pretrained / safetensors.torch.save_file");
    }

    /** Float32 tensors; see {@link #write(Path, Map, Map, Map)}. */
    public static void write(Path file, Map<String, INDArray> tensors, Map<String, String> metadata) throws IOException {
        write(file, tensors, Map.of(), metadata);
    }

    /** The float dtypes this writer stores: what save_pretrained writes for a float32, bfloat16 or float16 model. */
    public static final List<String> WRITABLE = List.of("F32", "BF16", "F16");

    /**
     * Writes tensors (c order, in the map's order) each in the dtype {@code dtypes} names for it (F32,
     * BF16 or F16, rounded to nearest even; F32 where it names none), with optional string metadata;
     * the header is padded with spaces to a multiple of 8 bytes, as the reference writer does.
     * Written to a temporary file and renamed, one tensor at a time ({@link SafeTensorsWriter}).
     */
    public static void write(Path file, Map<String, INDArray> tensors, Map<String, String> dtypes, Map<String, String> metadata)
            throws IOException {
        List<SafeTensorsWriter.Spec> specs = new ArrayList<>();
        tensors.forEach((name, t) -> specs.add(new SafeTensorsWriter.Spec(name, dtypes.getOrDefault(name, "F32"), t.shape())));
        try (SafeTensorsWriter out = new SafeTensorsWriter(file, specs, metadata)) {
            for (INDArray t : tensors.values()) out.putArray(t);
            out.commit();
        }
    }
}

package dev.emo.onnx;

import dev.emo.UserError;
import dev.emo.util.HalfFloats;
import dev.emo.weights.StoredTensor;
import onnx.Onnx;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.protobuf.CodedInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The float initializers of an ONNX export, named by their Hugging Face parameter names.
 *
 * <p>Exporters keep the parameter name where the weight is used as is ({@code transformer.h.0.attn.c_attn.weight}),
 * but a {@code Linear} weight that the exporter transposed for a MatMul appears as an anonymous
 * {@code onnx::MatMul_N}; its name comes from the consuming node's scope
 * ({@code /model/decoder/layers.0/self_attn/q_proj/MatMul} → {@code model.decoder.layers.0.self_attn.q_proj.weight}),
 * and it is transposed back to the PyTorch layout [out, in]. Initializers of nested graphs (the
 * merged decoder's {@code If} branches) are collected too; consumers are looked up across all graphs.
 */
public final class OnnxWeights {

    /** One parameter: its tensor in Hugging Face layout (where it came from is in {@link #bindings()}). */
    public record Param(String hfName, INDArray value) {}

    /** Where an initializer's values come from: a Hugging Face parameter, transposed or not. */
    public record Binding(String hfName, boolean transposed) {}

    private final Path file;
    private final Onnx.ModelProto model;
    private final Map<String, Binding> bindings;
    private final Map<String, Onnx.TensorProto> sources;   // HF name → the initializer holding it (the first, where branches repeat it)
    private Map<String, Param> params;                     // float32 copies, made on first use

    private OnnxWeights(Path file, Onnx.ModelProto model, Map<String, Binding> bindings, Map<String, Onnx.TensorProto> sources) {
        this.file = file;
        this.model = model;
        this.bindings = bindings;
        this.sources = sources;
    }

    /** Every float initializer (by ONNX name, nested graphs included) and the parameter it holds. */
    public Map<String, Binding> bindings() {
        return bindings;
    }

    public Path file() {
        return file;
    }

    public Onnx.ModelProto model() {
        return model;
    }

    /**
     * Parameters by Hugging Face name, in the order the export lists them, as float32 copies: every
     * weight read at once (made on first use after {@link #open}; {@link #tensors} reads one at a time).
     */
    public synchronized Map<String, Param> params() {
        if (params == null) {
            Map<String, Param> p = new LinkedHashMap<>();
            sources.forEach((hfName, t) -> {
                INDArray value = toArray(file, t);
                if (bindings.get(t.getName()).transposed()) value = value.transpose().dup('c');
                p.put(hfName, new Param(hfName, value));
            });
            params = p;
        }
        return params;
    }

    /**
     * Parameters by Hugging Face name and layout (transposed back where the exporter transposed them),
     * in the order the export lists them, each read only when a loader visits it: from the external data
     * file by positioned reads, or from the parsed model's raw bytes. Where each one's bytes are and
     * that they have the size the dims imply was checked by {@link #open}.
     */
    public List<StoredTensor> tensors() {
        List<StoredTensor> out = new ArrayList<>();
        sources.forEach((hfName, t) -> out.add(OnnxTensors.of(file, t, hfName, bindings.get(t.getName()).transposed())));
        return out;
    }

    /** The export's float initializers, every value read into float32 at once (the reader before {@link #open}). */
    public static OnnxWeights read(Path onnxFile) {
        OnnxWeights w = scan(onnxFile);
        w.params();
        return w;
    }

    /**
     * The export's graph and where each parameter's bytes are, without reading them (beyond what the
     * .onnx file itself holds): a missing or short external data file is a one-line error here.
     */
    public static OnnxWeights open(Path onnxFile) {
        OnnxWeights w = scan(onnxFile);
        w.tensors();   // checks each initializer's data
        return w;
    }

    private static OnnxWeights scan(Path onnxFile) {
        Onnx.ModelProto model = parse(onnxFile);
        Map<String, List<Onnx.NodeProto>> consumers = new HashMap<>();
        List<Onnx.TensorProto> inits = new ArrayList<>();
        collect(model.getGraph(), consumers, inits);

        Map<String, Onnx.TensorProto> sources = new LinkedHashMap<>();
        Map<String, Binding> bindings = new LinkedHashMap<>();
        for (Onnx.TensorProto t : inits) {
            if (!isFloat(t) || t.getDimsCount() == 0) continue; // shape/index constants, scalars
            Mapping m = mapName(t.getName(), consumers.getOrDefault(t.getName(), List.of()));
            if (m == null) {
                throw UserError.of(onnxFile, "initializer '" + t.getName() + "' " + t.getDimsList()
                                + " maps to no parameter (consumed by " + describe(consumers.get(t.getName())) + ")",
                        "export the model with Hugging Face Optimum so parameters keep their names or scopes");
            }
            bindings.put(t.getName(), new Binding(m.hfName, m.transposed));
            sources.putIfAbsent(m.hfName, t);   // the merged decoder's two branches can list the same parameter twice
        }
        return new OnnxWeights(onnxFile, model, bindings, sources);
    }

    /** Checks that the file parses as an ONNX model with a graph (a download without a checksum); a UserError otherwise. */
    public static void requireModel(Path onnxFile) {
        parse(onnxFile);
    }

    static Onnx.ModelProto parse(Path onnxFile) {
        if (!Files.isRegularFile(onnxFile)) {
            throw UserError.of(onnxFile, "file not found", "point --model at a folder holding the ONNX export");
        }
        try (InputStream in = Files.newInputStream(onnxFile)) {
            CodedInputStream cis = CodedInputStream.newInstance(in);
            cis.setSizeLimit(Integer.MAX_VALUE);
            cis.setRecursionLimit(1000);
            Onnx.ModelProto m = Onnx.ModelProto.parseFrom(cis);
            if (!m.hasGraph() || m.getGraph().getNodeCount() == 0) {
                throw UserError.of(onnxFile, "not an ONNX model (no graph)", "re-export the model; the file may be truncated");
            }
            return m;
        } catch (IOException e) {
            throw UserError.of(onnxFile, "cannot be parsed as ONNX (" + firstLine(e.getMessage()) + ")",
                    "re-export the model; the file may be truncated or not ONNX");
        }
    }

    private static void collect(Onnx.GraphProto g, Map<String, List<Onnx.NodeProto>> consumers,
                                List<Onnx.TensorProto> inits) {
        inits.addAll(g.getInitializerList());
        for (Onnx.NodeProto n : g.getNodeList()) {
            for (String in : n.getInputList()) consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            for (Onnx.AttributeProto a : n.getAttributeList()) {
                if (a.hasG()) collect(a.getG(), consumers, inits);
                for (Onnx.GraphProto sub : a.getGraphsList()) collect(sub, consumers, inits);
            }
        }
    }

    private record Mapping(String hfName, boolean transposed) {}

    private static Mapping mapName(String name, List<Onnx.NodeProto> users) {
        if (!name.startsWith("onnx::") && !name.startsWith("/") && name.contains(".")) {
            return new Mapping(name, false);
        }
        for (Onnx.NodeProto n : users) {
            String op = n.getOpType();
            if (!op.equals("MatMul") && !op.equals("Gemm")) continue;
            String scope = n.getName();
            int cut = scope.lastIndexOf('/');
            if (!scope.startsWith("/") || cut <= 0) continue;
            String module = scope.substring(1, cut).replace('/', '.');
            boolean transposed = op.equals("MatMul") || !gemmTransB(n);
            return new Mapping(module + ".weight", transposed);
        }
        return null;
    }

    private static boolean gemmTransB(Onnx.NodeProto n) {
        for (Onnx.AttributeProto a : n.getAttributeList()) if (a.getName().equals("transB")) return a.getI() == 1;
        return false;
    }

    private static boolean isFloat(Onnx.TensorProto t) {
        int dt = t.getDataType();
        return dt == Onnx.TensorProto.DataType.FLOAT_VALUE || dt == Onnx.TensorProto.DataType.FLOAT16_VALUE
                || dt == Onnx.TensorProto.DataType.DOUBLE_VALUE || dt == Onnx.TensorProto.DataType.BFLOAT16_VALUE;
    }

    /** Reads a float tensor (raw, float_data, or external data beside the model) as float32. */
    static INDArray toArray(Path onnxFile, Onnx.TensorProto t) {
        long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        long count = 1;
        for (long d : shape) count *= d;
        ByteBuffer bytes;
        if (t.getDataLocation() == Onnx.TensorProto.DataLocation.EXTERNAL) {
            bytes = readExternal(onnxFile, t, count);
        } else if (!t.getRawData().isEmpty()) {
            bytes = t.getRawData().asReadOnlyByteBuffer();
        } else if (t.getFloatDataCount() > 0) {
            float[] f = new float[t.getFloatDataCount()];
            for (int i = 0; i < f.length; i++) f[i] = t.getFloatData(i);
            return Nd4j.create(f, shape, 'c');
        } else {
            throw UserError.of(onnxFile, "initializer '" + t.getName() + "' holds no data", "re-export the model");
        }
        bytes = bytes.order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[Math.toIntExact(count)];
        int dt = t.getDataType();
        if (dt == Onnx.TensorProto.DataType.FLOAT_VALUE) {
            checkSize(onnxFile, t, bytes, count * 4);
            bytes.asFloatBuffer().get(out);
        } else if (dt == Onnx.TensorProto.DataType.DOUBLE_VALUE) {
            checkSize(onnxFile, t, bytes, count * 8);
            for (int i = 0; i < out.length; i++) out[i] = (float) bytes.getDouble(i * 8);
        } else if (dt == Onnx.TensorProto.DataType.FLOAT16_VALUE) {
            checkSize(onnxFile, t, bytes, count * 2);
            for (int i = 0; i < out.length; i++) out[i] = HalfFloats.halfToFloat(bytes.getShort(i * 2));
        } else { // bfloat16: the high half of a float32
            checkSize(onnxFile, t, bytes, count * 2);
            for (int i = 0; i < out.length; i++) out[i] = HalfFloats.bf16ToFloat(bytes.getShort(i * 2));
        }
        return Nd4j.create(out, shape, 'c');
    }

    private static void checkSize(Path f, Onnx.TensorProto t, ByteBuffer b, long expected) {
        checkSize(f, t, b.remaining(), expected);
    }

    static void checkSize(Path f, Onnx.TensorProto t, long bytes, long expected) {
        if (bytes != expected) {
            throw UserError.of(f, "initializer '" + t.getName() + "' has " + bytes + " bytes, expected "
                    + expected + " for " + t.getDimsList(), "re-export the model; the file is corrupt");
        }
    }

    /** Bytes of one value of a float initializer. */
    static int elementBytes(Onnx.TensorProto t) {
        return t.getDataType() == Onnx.TensorProto.DataType.DOUBLE_VALUE ? 8
                : t.getDataType() == Onnx.TensorProto.DataType.FLOAT_VALUE ? 4 : 2;
    }

    /** Where an initializer's external data is: bytes [offset, offset + length) of {@code data}. */
    record External(Path data, long offset, long length) {}

    /** An initializer's external data, checked to lie inside an existing file (its length defaults to what the dims imply). */
    static External external(Path onnxFile, Onnx.TensorProto t, long count) {
        String location = null;
        long offset = 0, length = -1;
        for (Onnx.StringStringEntryProto e : t.getExternalDataList()) {
            switch (e.getKey()) {
                case "location" -> location = e.getValue();
                case "offset" -> offset = Long.parseLong(e.getValue());
                case "length" -> length = Long.parseLong(e.getValue());
                default -> { }
            }
        }
        Path data = onnxFile.resolveSibling(location == null ? "" : location);
        if (location == null || !Files.isRegularFile(data)) {
            throw UserError.of(data, "external data file of initializer '" + t.getName() + "' is missing",
                    "keep the .onnx_data file next to " + onnxFile.getFileName());
        }
        if (length < 0) length = count * elementBytes(t);
        try {
            long size = Files.size(data);
            if (offset < 0 || offset + length > size) {
                throw UserError.of(data, "too short for initializer '" + t.getName() + "' (needs bytes up to "
                        + (offset + length) + ", has " + size + ")", "re-export the model; the data file is truncated");
            }
        } catch (IOException e) {
            throw UserError.of(data, "cannot be read (" + firstLine(e.getMessage()) + ")", "check the file's permissions");
        }
        return new External(data, offset, length);
    }

    private static ByteBuffer readExternal(Path onnxFile, Onnx.TensorProto t, long count) {
        External x = external(onnxFile, t, count);
        try (RandomAccessFile raf = new RandomAccessFile(x.data().toFile(), "r")) {
            byte[] buf = new byte[Math.toIntExact(x.length())];
            raf.seek(x.offset());
            raf.readFully(buf);
            return ByteBuffer.wrap(buf);
        } catch (IOException e) {
            throw UserError.of(x.data(), "cannot be read (" + firstLine(e.getMessage()) + ")", "check the file's permissions");
        }
    }

    private static String describe(List<Onnx.NodeProto> users) {
        if (users == null || users.isEmpty()) return "no node";
        return users.stream().map(n -> n.getOpType() + " " + n.getName()).toList().toString();
    }

    private static String firstLine(String s) {
        if (s == null) return "unknown error";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}

package dev.emo.onnx;

import dev.emo.UserError;
import dev.emo.util.HalfFloats;
import onnx.Onnx;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.protobuf.ByteString;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * Writes tuned weights back into a copy of the export they came from: same graph, same layout
 * (plain, merged, external data), every parameter initializer's values replaced (transposed back
 * where the exporter had transposed a Linear weight), so any ONNX runtime loads the result as it
 * loaded the original.
 */
public final class OnnxExport {
    private OnnxExport() {}

    /**
     * @param source  the export the model was loaded from
     * @param weights current values by Hugging Face name; the tied head's ONNX copy is filled from
     *                {@code headAlias} when "lm_head.weight" itself is not a parameter
     * @param target  the file to write (e.g. OUT/best/model.onnx); written to temp files, then renamed
     */
    public static void write(OnnxWeights source, Map<String, INDArray> weights, String headAlias, Path target) {
        Path dir = target.getParent();
        String dataName = externalDataName(source.model().getGraph());
        Path dataTmp = dataName == null ? null : dir.resolve(dataName + ".tmp");
        Path modelTmp = dir.resolve(target.getFileName() + ".tmp");
        try {
            Files.createDirectories(dir);
            try (OutputStream data = dataTmp == null ? OutputStream.nullOutputStream() : Files.newOutputStream(dataTmp)) {
                long[] offset = {0};
                Onnx.GraphProto graph = rewrite(source, source.model().getGraph(), weights, headAlias, dataName, data, offset);
                Onnx.ModelProto out = source.model().toBuilder().setGraph(graph).build();
                try (OutputStream m = Files.newOutputStream(modelTmp)) {
                    out.writeTo(m);
                }
            }
            if (dataTmp != null) Files.move(dataTmp, dir.resolve(dataName), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.move(modelTmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw UserError.of(target, "cannot be written (" + e.getMessage() + ")", "check free disk space and permissions");
        } finally {
            try {
                Files.deleteIfExists(modelTmp);
                if (dataTmp != null) Files.deleteIfExists(dataTmp);
            } catch (IOException ignored) {
                // best effort: a stale temp file never shadows the real output
            }
        }
    }

    private static Onnx.GraphProto rewrite(OnnxWeights source, Onnx.GraphProto g, Map<String, INDArray> weights, String headAlias,
                                           String dataName, OutputStream data, long[] offset) throws IOException {
        Onnx.GraphProto.Builder b = g.toBuilder();
        for (int i = 0; i < b.getInitializerCount(); i++) {
            Onnx.TensorProto t = b.getInitializer(i);
            OnnxWeights.Binding binding = source.bindings().get(t.getName());
            if (binding == null) continue;
            INDArray value = weights.get(binding.hfName());
            if (value == null && binding.hfName().equals("lm_head.weight")) value = weights.get(headAlias);
            if (value == null) throw new IllegalStateException("no tuned value for " + binding.hfName());
            if (binding.transposed()) value = value.transpose();
            byte[] bytes = encode(value, t.getDataType(), t.getName());
            Onnx.TensorProto.Builder tb = t.toBuilder().clearFloatData().clearDoubleData().clearRawData().clearExternalData();
            if (t.getDataLocation() == Onnx.TensorProto.DataLocation.EXTERNAL) {
                data.write(bytes);
                tb.addExternalData(entry("location", dataName)).addExternalData(entry("offset", Long.toString(offset[0])))
                        .addExternalData(entry("length", Long.toString(bytes.length)));
                offset[0] += bytes.length;
            } else {
                tb.setRawData(ByteString.copyFrom(bytes));
            }
            b.setInitializer(i, tb.build());
        }
        for (int n = 0; n < b.getNodeCount(); n++) {
            Onnx.NodeProto node = b.getNode(n);
            boolean nested = node.getAttributeList().stream().anyMatch(a -> a.hasG() || a.getGraphsCount() > 0);
            if (!nested) continue;
            Onnx.NodeProto.Builder nb = node.toBuilder();
            for (int a = 0; a < nb.getAttributeCount(); a++) {
                Onnx.AttributeProto attr = nb.getAttribute(a);
                Onnx.AttributeProto.Builder ab = attr.toBuilder();
                if (attr.hasG()) ab.setG(rewrite(source, attr.getG(), weights, headAlias, dataName, data, offset));
                for (int k = 0; k < attr.getGraphsCount(); k++) {
                    ab.setGraphs(k, rewrite(source, attr.getGraphs(k), weights, headAlias, dataName, data, offset));
                }
                nb.setAttribute(a, ab.build());
            }
            b.setNode(n, nb.build());
        }
        return b.build();
    }

    private static Onnx.StringStringEntryProto entry(String k, String v) {
        return Onnx.StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }

    /** The value in the initializer's own element type, little-endian, C order. */
    static byte[] encode(INDArray value, int onnxType, String name) {
        float[] f = value.castTo(DataType.FLOAT).dup('c').data().asFloat();
        ByteBuffer buf;
        if (onnxType == Onnx.TensorProto.DataType.FLOAT_VALUE) {
            buf = ByteBuffer.allocate(f.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            buf.asFloatBuffer().put(f);
        } else if (onnxType == Onnx.TensorProto.DataType.DOUBLE_VALUE) {
            buf = ByteBuffer.allocate(f.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (float x : f) buf.putDouble(x);
        } else if (onnxType == Onnx.TensorProto.DataType.FLOAT16_VALUE) {
            buf = ByteBuffer.allocate(f.length * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (float x : f) buf.putShort(HalfFloats.floatToHalf(x));
        } else if (onnxType == Onnx.TensorProto.DataType.BFLOAT16_VALUE) {
            buf = ByteBuffer.allocate(f.length * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (float x : f) buf.putShort(HalfFloats.floatToBf16(x));
        } else {
            throw new IllegalStateException("initializer " + name + " has unsupported type " + onnxType);
        }
        return buf.array();
    }

    private static String externalDataName(Onnx.GraphProto g) {
        for (Onnx.TensorProto t : g.getInitializerList()) {
            if (t.getDataLocation() == Onnx.TensorProto.DataLocation.EXTERNAL) {
                for (Onnx.StringStringEntryProto e : t.getExternalDataList()) if (e.getKey().equals("location")) return e.getValue();
            }
        }
        return null;
    }
}

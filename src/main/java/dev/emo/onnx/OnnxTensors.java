package dev.emo.onnx;

import dev.emo.UserError;
import dev.emo.weights.BufferTensor;
import dev.emo.weights.FileTensor;
import dev.emo.weights.StoredTensor;
import dev.emo.weights.TransposedTensor;
import onnx.Onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * An ONNX float initializer as a {@link StoredTensor}: external data (a region of model.onnx_data,
 * read by positioned reads when visited), raw bytes inside the parsed model (sliced, no copy), or a
 * float_data list (converted when visited). Where the exporter transposed a Linear weight for its
 * MatMul, the tensor is presented transposed back, in Hugging Face's [out, in].
 */
final class OnnxTensors {
    private OnnxTensors() {}

    /** Initializer {@code t} of {@code onnxFile} as parameter {@code hfName}, its data's location and size checked now. */
    static StoredTensor of(Path onnxFile, Onnx.TensorProto t, String hfName, boolean transposed) {
        long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        long count = 1;
        for (long d : shape) count *= d;
        String dtype = dtype(t);
        long bytes = count * OnnxWeights.elementBytes(t);
        StoredTensor stored;
        if (t.getDataLocation() == Onnx.TensorProto.DataLocation.EXTERNAL) {
            OnnxWeights.External x = OnnxWeights.external(onnxFile, t, count);
            OnnxWeights.checkSize(onnxFile, t, x.length(), bytes);
            stored = new FileTensor(hfName, dtype, shape, x.data(), x.offset());
        } else if (!t.getRawData().isEmpty()) {
            OnnxWeights.checkSize(onnxFile, t, t.getRawData().size(), bytes);
            stored = new BufferTensor(hfName, dtype, shape, onnxFile, t.getRawData().asReadOnlyByteBuffer());
        } else if (t.getFloatDataCount() > 0) {
            OnnxWeights.checkSize(onnxFile, t, 4L * t.getFloatDataCount(), 4 * count);
            stored = floatData(onnxFile, t, hfName, shape);
        } else {
            throw UserError.of(onnxFile, "initializer '" + t.getName() + "' holds no data", "re-export the model");
        }
        return transposed ? new TransposedTensor(stored) : stored;
    }

    /** safetensors' name for the initializer's type (float_data is always float32). */
    private static String dtype(Onnx.TensorProto t) {
        if (t.getDataLocation() != Onnx.TensorProto.DataLocation.EXTERNAL && t.getRawData().isEmpty()) return "F32";
        return switch (t.getDataType()) {
            case Onnx.TensorProto.DataType.FLOAT_VALUE -> "F32";
            case Onnx.TensorProto.DataType.FLOAT16_VALUE -> "F16";
            case Onnx.TensorProto.DataType.BFLOAT16_VALUE -> "BF16";
            case Onnx.TensorProto.DataType.DOUBLE_VALUE -> "F64";
            default -> throw new IllegalArgumentException("initializer '" + t.getName() + "' is not a float tensor");
        };
    }

    /** A float_data initializer: its values become little-endian bytes only while it is visited. */
    private static StoredTensor floatData(Path onnxFile, Onnx.TensorProto t, String hfName, long[] shape) {
        return new StoredTensor() {
            @Override
            public String name() {
                return hfName;
            }

            @Override
            public String dtype() {
                return "F32";
            }

            @Override
            public long[] shape() {
                return shape.clone();
            }

            @Override
            public Path file() {
                return onnxFile;
            }

            @Override
            public void forEachRows(ByteBuffer scratch, Rows consumer) {
                ByteBuffer b = ByteBuffer.allocate(4 * t.getFloatDataCount()).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < t.getFloatDataCount(); i++) b.putFloat(t.getFloatData(i));
                new BufferTensor(hfName, "F32", shape, onnxFile, b.flip()).forEachRows(scratch, consumer);
            }
        };
    }
}

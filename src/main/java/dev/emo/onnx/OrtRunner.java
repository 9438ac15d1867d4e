package dev.emo.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.emo.UserError;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Runs an exported decoder through ONNX Runtime, the independent implementation our graphs are
 * checked against. Handles Optimum's layouts: plain, merged (use_cache_branch = false, empty past),
 * and graphs that take position_ids.
 */
public final class OrtRunner implements AutoCloseable {
    private final OrtEnvironment env = Ort.environment();
    private final OrtSession session;
    private final Path file;

    public OrtRunner(Path onnxFile) {
        this.file = onnxFile;
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(Math.max(1, Runtime.getRuntime().availableProcessors()));
            session = env.createSession(onnxFile.toString(), opts);
        } catch (OrtException e) {
            throw UserError.of(onnxFile, "ONNX Runtime cannot load it (" + e.getMessage().lines().findFirst().orElse("") + ")",
                    "re-export the model with Optimum");
        }
    }

    /** The graph's input names (input_ids, attention_mask, and position_ids or past_* where the export has them). */
    public java.util.Set<String> inputNames() {
        try {
            return session.getInputNames();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Logits [B, T, V] for int64 input ids and mask [B, T]; positionIds is used only if the graph asks for it. */
    public INDArray logits(INDArray inputIds, INDArray attentionMask, INDArray positionIds) {
        long b = inputIds.size(0), t = inputIds.size(1);
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            for (Map.Entry<String, NodeInfo> e : session.getInputInfo().entrySet()) {
                String name = e.getKey();
                TensorInfo info = (TensorInfo) e.getValue().getInfo();
                OnnxTensor tensor;
                if (name.equals("input_ids")) tensor = longs(inputIds);
                else if (name.equals("attention_mask")) tensor = longs(attentionMask);
                else if (name.equals("position_ids")) tensor = longs(positionIds);
                else if (name.equals("use_cache_branch")) tensor = OnnxTensor.createTensor(env, new boolean[]{false});
                else if (name.startsWith("past_key_values") || name.startsWith("past_")) {
                    long[] shape = info.getShape().clone(); // [B, heads, past, hd] with symbolic dims as -1
                    shape[0] = b;
                    for (int i = 1; i < shape.length; i++) if (shape[i] < 0) shape[i] = 0;
                    tensor = OnnxTensor.createTensor(env, FloatBuffer.allocate(0), shape);
                } else {
                    throw UserError.of(file, "unexpected graph input '" + name + "'",
                            "export the decoder with inputs input_ids and attention_mask (Optimum's text-generation task)");
                }
                in.put(name, tensor);
            }
            try (OrtSession.Result r = session.run(in)) {
                OnnxTensor out = (OnnxTensor) r.get("logits").orElseGet(() -> r.get(0));
                long[] shape = out.getInfo().getShape();
                FloatBuffer fb = out.getFloatBuffer();
                float[] data = new float[fb.remaining()];
                fb.get(data);
                if (shape.length != 3 || shape[0] != b || shape[1] != t) {
                    throw UserError.of(file, "logits have shape " + java.util.Arrays.toString(shape) + ", expected [" + b + ", " + t + ", V]",
                            "export the full-sequence decoder (no KV-cache-only graph)");
                }
                return Nd4j.create(data, shape, 'c');
            }
        } catch (OrtException e) {
            throw UserError.of(file, "ONNX Runtime failed to run it (" + e.getMessage().lines().findFirst().orElse("") + ")",
                    "check the export's inputs");
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    private OnnxTensor longs(INDArray a) throws OrtException {
        long[] v = a.reshape(-1).toLongVector();
        return OnnxTensor.createTensor(env, LongBuffer.wrap(v), a.shape());
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}

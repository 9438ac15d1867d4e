package dev.emo.registry;

import dev.emo.models.CausalLM;
import dev.emo.onnx.ModelFolderWriter;
import dev.emo.onnx.OnnxWeights;

import java.nio.file.Path;

/** An ONNX export (Optimum's layouts); tuned weights go back into a copy of the same graph. */
public record OnnxSource(OnnxWeights onnx) implements ModelSource {
    @Override
    public Path file() {
        return onnx.file();
    }

    @Override
    public String format() {
        return "onnx";
    }

    @Override
    public void writeFolder(CausalLM model, java.util.Map<String, org.nd4j.linalg.api.ndarray.INDArray> weights, Path inputDir, Path outDir) {
        ModelFolderWriter.write(model, weights, onnx, inputDir, outDir);
    }
}

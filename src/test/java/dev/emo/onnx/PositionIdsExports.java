package dev.emo.onnx;

import onnx.Onnx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Test fixtures: an export that takes {@code position_ids} as a graph input (as current Optimum
 * exports of GPT-2 and LLaMA do), derived from one that computes them inside the graph. The
 * internal positions tensor is replaced by the new input in every node that reads it; the nodes
 * that computed it are left dead, as ONNX Runtime allows.
 */
final class PositionIdsExports {
    private PositionIdsExports() {}

    /** Copies {@code modelDir} to {@code out} with {@code positionsTensor} turned into the input "position_ids" [batch, sequence]. */
    static Path derive(Path modelDir, String positionsTensor, Path out) throws IOException {
        ModelFolderWriter.copySideFiles(modelDir, out);
        Onnx.ModelProto model = Onnx.ModelProto.parseFrom(Files.readAllBytes(modelDir.resolve("model.onnx")));
        Onnx.GraphProto.Builder g = model.getGraph().toBuilder();
        int rewired = 0;
        for (int n = 0; n < g.getNodeCount(); n++) {
            Onnx.NodeProto.Builder node = g.getNodeBuilder(n);
            for (int i = 0; i < node.getInputCount(); i++) {
                if (node.getInput(i).equals(positionsTensor)) {
                    node.setInput(i, "position_ids");
                    rewired++;
                }
            }
        }
        if (rewired == 0) throw new IllegalStateException(modelDir + ": no node reads " + positionsTensor);
        Onnx.TensorShapeProto shape = Onnx.TensorShapeProto.newBuilder()
                .addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam("batch_size"))
                .addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam("sequence_length")).build();
        g.addInput(Onnx.ValueInfoProto.newBuilder().setName("position_ids").setType(Onnx.TypeProto.newBuilder()
                .setTensorType(Onnx.TypeProto.Tensor.newBuilder().setElemType(Onnx.TensorProto.DataType.INT64.getNumber()).setShape(shape))));
        Files.write(out.resolve("model.onnx"), model.toBuilder().setGraph(g).build().toByteArray());
        return out;
    }

    /** The tensor a GPT-2 export looks its position embeddings up with (the wpe Gather's indices). */
    static String gpt2Positions(Path modelDir) throws IOException {
        return consumerInput(modelDir, "Gather", "transformer.wpe.weight", 1);
    }

    /** The positions a LLaMA export computes from the mask: Clip(CumSum(attention_mask) − 1). */
    static String llamaPositions(Path modelDir) throws IOException {
        Onnx.GraphProto g = Onnx.ModelProto.parseFrom(Files.readAllBytes(modelDir.resolve("model.onnx"))).getGraph();
        String cumsum = null, sub = null;
        for (Onnx.NodeProto n : g.getNodeList()) {
            if (n.getOpType().equals("CumSum") && n.getInput(0).equals("attention_mask")) cumsum = n.getOutput(0);
            else if (cumsum != null && sub == null && n.getOpType().equals("Sub") && n.getInput(0).equals(cumsum)) sub = n.getOutput(0);
            else if (sub != null && n.getOpType().equals("Clip") && n.getInput(0).equals(sub)) return n.getOutput(0);
        }
        throw new IllegalStateException(modelDir + ": no Clip(CumSum(attention_mask) - 1) in the graph");
    }

    private static String consumerInput(Path modelDir, String op, String firstInput, int which) throws IOException {
        Onnx.GraphProto g = Onnx.ModelProto.parseFrom(Files.readAllBytes(modelDir.resolve("model.onnx"))).getGraph();
        for (Onnx.NodeProto n : g.getNodeList()) {
            if (n.getOpType().equals(op) && n.getInput(0).equals(firstInput)) return n.getInput(which);
        }
        throw new IllegalStateException(modelDir + ": no " + op + " node reading " + firstInput);
    }
}

package dev.emo.embedding;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.emo.UserError;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * What an encoder export takes and gives: input_ids and attention_mask (token_type_ids optional),
 * and the output read: token vectors [B,T,H] where there are any (Xenova's all-MiniLM-L6-v2 names
 * them "output_0"), pooled as the folder says; else an already pooled [B,H]. {@code width} is H,
 * or negative where the graph leaves it symbolic.
 */
record EncoderGraph(String output, boolean pooled, boolean tokenTypes, long width) {
    private static final List<String> INPUTS = List.of("input_ids", "attention_mask", "token_type_ids");
    private static final List<String> KNOWN_OUTPUTS = List.of("last_hidden_state", "token_embeddings", "sentence_embedding");

    static EncoderGraph of(OrtSession s, Object source) {
        try {
            var inputs = s.getInputNames();
            for (String in : inputs) {
                if (!INPUTS.contains(in))
                    throw UserError.of(source, "unexpected graph input '" + in + "'", "export a BERT-style encoder taking input_ids, attention_mask[, token_type_ids]");
            }
            if (!inputs.contains("input_ids") || !inputs.contains("attention_mask"))
                throw UserError.of(source, "graph inputs " + inputs + " lack input_ids or attention_mask", "export the encoder with Optimum");
            Map<String, NodeInfo> outs = s.getOutputInfo();
            // token vectors [B,T,H] first, pooled as configured (Xenova's is unnamed "output_0"); else an already pooled [B,H]
            String chosen = IntStream.of(3, 2).boxed().flatMap(rank -> outs.entrySet().stream()
                            .filter(e -> e.getValue().getInfo() instanceof TensorInfo ti && ti.getShape().length == rank)
                            .sorted(Comparator.comparing(e -> !KNOWN_OUTPUTS.contains(e.getKey())))
                            .map(Map.Entry::getKey))
                    .findFirst().orElseThrow(() -> UserError.of(source, "no [B,T,H] or [B,H] output among " + outs.keySet(), "export the encoder with Optimum"));
            long[] shape = ((TensorInfo) outs.get(chosen).getInfo()).getShape();
            return new EncoderGraph(chosen, shape.length == 2, inputs.contains("token_type_ids"), shape[shape.length - 1]);
        } catch (OrtException e) {
            throw UserError.of(source, "ONNX Runtime cannot describe the graph (" + SentenceEmbedder.firstLine(e) + ")", "re-export the model");
        }
    }
}

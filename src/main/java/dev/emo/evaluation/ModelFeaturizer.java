package dev.emo.evaluation;

import dev.emo.embedding.TextEmbedder;
import dev.emo.models.CausalLM;
import dev.emo.tokenizers.Tokenizer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * MAUVE's featurizer ({@code mauve.compute_mauve(p_text=…)}): each text tokenized by the model's own
 * tokenizer and truncated to {@code maxLength} tokens, run through the causal LM, and represented by
 * the last layer's hidden state at its last token. The paper featurizes with GPT-2 large; any model
 * folder works, the evaluated model included. Texts are batched by length with right padding.
 */
public final class ModelFeaturizer implements TextEmbedder {
    private final CausalLM model;
    private final Tokenizer tokenizer;
    private final String name;
    private final int maxLength;
    private final int batchSize;

    public ModelFeaturizer(CausalLM model, Tokenizer tokenizer, String name, int maxLength, int batchSize) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.name = name;
        this.maxLength = Math.min(maxLength, model.config().maxPositions());
        this.batchSize = batchSize;
    }

    @Override
    public String name() {
        return name + " last hidden state";
    }

    @Override
    public float[][] embed(List<String> texts) {
        int[][] ids = new int[texts.size()][];
        for (int i = 0; i < ids.length; i++) {
            int[] t = tokenizer.encode(texts.get(i));
            if (t.length == 0) t = new int[]{tokenizer.bosId()};
            ids[i] = Arrays.copyOf(t, Math.min(t.length, maxLength)); // truncation=True keeps the head
        }
        Integer[] order = IntStream.range(0, ids.length).boxed().sorted(Comparator.comparingInt(i -> ids[i].length)).toArray(Integer[]::new);
        float[][] out = new float[ids.length][];
        for (int start = 0; start < order.length; start += batchSize) {
            int end = Math.min(order.length, start + batchSize), b = end - start;
            int t = ids[order[end - 1]].length;
            long[] flat = new long[b * t], mask = new long[b * t];
            for (int r = 0; r < b; r++) {
                int[] seq = ids[order[start + r]];
                for (int j = 0; j < seq.length; j++) {
                    flat[r * t + j] = seq[j];
                    mask[r * t + j] = 1;
                }
            }
            INDArray hidden = model.hiddenStates(Nd4j.createFromArray(flat).reshape(b, t), Nd4j.createFromArray(mask).reshape(b, t));
            for (int r = 0; r < b; r++) {
                int i = order[start + r];
                out[i] = hidden.get(NDArrayIndex.point(r), NDArrayIndex.point(ids[i].length - 1), NDArrayIndex.all())
                        .toFloatVector();                                                 // [d'] at the last real token
            }
        }
        return out;
    }
}

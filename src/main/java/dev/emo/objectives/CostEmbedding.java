package dev.emo.objectives;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Ê: the cost embedding with L2-normalised rows [V, d']. EMO's default is a frozen copy of the
 * model's LM-head weight taken before the first update; the "adaptive" variant re-reads the current
 * head (detached) each step ({@link Source#CURRENT}); or the head of another model of the same
 * vocabulary ({@link #fromModel}).
 */
public final class CostEmbedding {
    private CostEmbedding() {}

    /** A normalised copy; rows of zero norm stay zero rather than becoming NaN. */
    public static INDArray normalizedCopy(INDArray head) {
        INDArray e = head.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c');
        INDArray norms = e.norm2(1).reshape(e.size(0), 1);
        norms.assign(org.nd4j.linalg.ops.transforms.Transforms.max(norms, 1e-30, false));
        return e.diviColumnVector(norms);
    }

    public enum Source { FROZEN, CURRENT, MODEL }

    /**
     * The LM head of another exported model (the EMO authors used a larger model's head for some
     * runs), normalised; its vocabulary must be the trained model's.
     */
    public static INDArray fromModel(java.nio.file.Path modelDir, long vocabSize) {
        dev.emo.models.CausalLM other = dev.emo.registry.Models.load(modelDir).model();
        INDArray head = other.lmHead().getArr();
        if (head.size(0) != vocabSize) {
            throw dev.emo.UserError.of(modelDir, "its LM head has " + head.size(0) + " rows but the trained model's vocabulary has "
                    + vocabSize, "use a cost-embedding model with the same tokenizer");
        }
        return normalizedCopy(head);
    }
}

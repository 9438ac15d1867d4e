package dev.emo.objectives;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Ê: the cost embedding with L2-normalised rows [V, d']. EMO's default is a frozen copy of the
 * model's LM-head weight taken before the first update; the "adaptive" variant re-reads the current
 * head (detached) each step; or any [V, d'] matrix from another model of the same vocabulary.
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

    public enum Source { FROZEN, CURRENT }

    public static INDArray of(Source source, INDArray currentHead, INDArray frozen) {
        return source == Source.CURRENT ? normalizedCopy(currentHead) : frozen;
    }
}

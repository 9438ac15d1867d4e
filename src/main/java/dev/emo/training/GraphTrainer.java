package dev.emo.training;

import dev.emo.models.CausalLM;
import dev.emo.objectives.FusedLmLoss;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.autodiff.samediff.internal.memory.NoOpMemoryMgr;
import org.nd4j.autodiff.util.SameDiffUtils;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.ExternalErrorsFunction;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * One gradient computation of a {@link CausalLM} under a {@link FusedLmLoss}: the graph's forward
 * pass gives the logits [N, V], the loss op computes the loss and dL/dlogits outside the graph, and
 * SameDiff's external-gradient hook ({@link ExternalErrorsFunction}, the route DL4J's own SameDiff
 * layers use for outside losses) feeds that gradient into the graph's backward pass.
 *
 * <p>Costs: SameDiff cannot reuse the activations of the output() call, so calculateGradients
 * re-runs the forward ops whose outputs the backward needs (not the LM-head matmul).
 */
public final class GraphTrainer {
    private final CausalLM model;
    private final String gradPlaceholder;
    private final double gradScale;
    private final String[] paramNames;

    public GraphTrainer(CausalLM model) {
        this.model = model;
        SameDiff sd = model.sameDiff();
        ExternalErrorsFunction fn = SameDiffUtils.externalErrors(sd, null, model.logits2d());
        gradPlaceholder = fn.getGradPlaceholderName();
        createGradFunctionQuietly(sd);
        gradScale = externalGradScale(sd, gradPlaceholder);
        paramNames = model.params().keySet().toArray(String[]::new);
    }

    public CausalLM model() {
        return model;
    }

    /** Loss value and parameter gradients (by Hugging Face name) of one batch. */
    public record Step(FusedLmLoss.Result loss, Map<String, INDArray> grads) {}

    public Step step(INDArray inputIds, INDArray attentionMask, int[] targets, FusedLmLoss loss, INDArray costEmbed) {
        SameDiff sd = model.sameDiff();
        noCachingSession(sd);
        noCachingSession(sd.getFunction("grad"));
        Map<String, INDArray> feeds = model.feeds(inputIds, attentionMask);
        INDArray logits = model.sameDiff().outputSingle(feeds, CausalLM.LOGITS_2D);
        FusedLmLoss.Result r = loss.compute(logits, targets, costEmbed);
        feeds.put(gradPlaceholder, gradScale == 1.0 ? r.gradLogits() : r.gradLogits().mul(gradScale));
        Map<String, INDArray> grads = model.sameDiff().calculateGradients(feeds, paramNames);
        return new Step(r, grads);
    }

    /**
     * SameDiff's default session memory manager keeps released arrays for reuse; on this workload
     * (hundreds of differently sized activations per step) it was ~1.6× slower than plain
     * allocation (GPT-2 small, 2×256: 24 s vs 15 s per step), and the garbage is freed by the GC
     * anyway. Sessions are per thread, so this is checked on every step.
     */
    static void noCachingSession(SameDiff sd) {
        long thread = Thread.currentThread().getId();
        InferenceSession session = sd.getSessions().computeIfAbsent(thread, t -> new InferenceSession(sd));
        if (!(session.getMmgr() instanceof NoOpMemoryMgr)) session.setMmgr(new NoOpMemoryMgr());
    }

    /** SameDiff prints one System.out line per differentiated op when it builds the gradient function. */
    static void createGradFunctionQuietly(SameDiff sd) {
        if (sd.hasGradientFunction()) return;
        PrintStream out = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        try {
            sd.createGradFunction();
        } finally {
            System.setOut(out);
        }
    }

    /**
     * M2.1's ExternalErrorsFunction both registers its placeholder as the gradient and returns it,
     * so the gradient function computes add(g, g): the fed gradient must be halved. Detected from
     * the graph rather than assumed, so a fixed ND4J needs no change here.
     */
    static double externalGradScale(SameDiff sd, String placeholder) {
        for (SameDiffOp op : sd.getFunction("grad").getOps().values()) {
            List<String> in = op.getInputsToOp();
            if (in != null && in.size() == 2 && in.get(0).equals(placeholder) && in.get(1).equals(placeholder)) return 0.5;
        }
        return 1.0;
    }
}

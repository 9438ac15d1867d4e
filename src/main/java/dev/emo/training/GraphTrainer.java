package dev.emo.training;

import dev.emo.compat.ExternalGradient;
import dev.emo.execution.GraphExecutor;
import dev.emo.execution.OpProfile;
import dev.emo.models.CausalLM;
import dev.emo.objectives.FusedLmLoss;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.util.SameDiffUtils;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.ExternalErrorsFunction;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One gradient computation of a {@link CausalLM} under a {@link FusedLmLoss}: the graph's forward
 * pass gives the logits [N, V], the loss op computes the loss and dL/dlogits outside the graph, and
 * SameDiff's external-gradient hook ({@link ExternalErrorsFunction}, the route DL4J's own SameDiff
 * layers use for outside losses) feeds that gradient into the graph's backward pass.
 *
 * <p>The gradient function runs on a {@link GraphExecutor} in two stages: the forward ops up to the
 * logits, then (once the loss has supplied dL/dlogits) the backward ops, which read the forward
 * activations of the same call. SameDiff's own calculateGradients would re-run the forward pass
 * and keep every activation until the next GC.
 */
public final class GraphTrainer {
    private final CausalLM model;
    private final String gradFeed;          // the variable dL/dlogits is fed into (see compat.ExternalGradient)
    private final List<String> paramNames;
    private final List<String> gradNames;   // gradient variables of the grad function, as paramNames
    private final GraphExecutor executor;

    public GraphTrainer(CausalLM model) {
        this(model, false);
    }

    /**
     * @param gradientCheckpointing Hugging Face's flag: keep only each transformer layer's input from
     *        the forward stage and re-run the layer's forward ops when the backward pass reaches it
     *        (see {@link GraphExecutor}): the same gradients, about one layer's activations in memory
     *        instead of all of them, for one more forward pass of the layers
     */
    public GraphTrainer(CausalLM model, boolean gradientCheckpointing) {
        this.model = model;
        SameDiff sd = model.sameDiff();
        model.freezeBase();                 // with LoRA: no gradients, no optimizer state for the base weights
        ExternalErrorsFunction fn = SameDiffUtils.externalErrors(sd, null, model.logits2d());
        ExternalGradient.createGradFunctionQuietly(sd);
        gradFeed = ExternalGradient.feedPoint(sd, fn.getGradPlaceholderName());   // M2.1 doubles what is fed
        paramNames = List.copyOf(model.trainable().keySet());
        gradNames = paramNames.stream().map(p -> sd.getVariable(p).getGradient().name()).toList();
        executor = new GraphExecutor(sd.getFunction("grad"), gradientCheckpointing);
    }

    private java.util.Random dropout = new java.util.Random(0);

    /** Seeds the LoRA dropout masks of the next step (the loop seeds each micro-batch, so a resumed run draws the same masks). */
    public void seedDropout(long seed) {
        dropout = new java.util.Random(seed);
    }

    public CausalLM model() {
        return model;
    }

    /** Loss value and the trainable parameters' gradients (by name) of one batch. */
    public record Step(FusedLmLoss.Result loss, Map<String, INDArray> grads) {}

    public Step step(INDArray inputIds, INDArray attentionMask, int[] targets, FusedLmLoss loss, INDArray costEmbed) {
        return step(model.feeds(inputIds, attentionMask), inputIds, targets, loss, costEmbed);
    }

    /** A micro-batch's loss and gradients: its own labels, and packed rows where it has segments. */
    public Step step(Batch batch, FusedLmLoss loss, INDArray costEmbed) {
        return step(model.feeds(batch.ids(), batch.mask(), batch.segments()), batch.ids(), batch.targets(), loss, costEmbed);
    }

    private Step step(Map<String, INDArray> feeds, INDArray inputIds, int[] targets, FusedLmLoss loss, INDArray costEmbed) {
        feeds.putAll(model.loraDropoutMasks(inputIds.length(), dropout));
        FusedLmLoss.Result[] result = new FusedLmLoss.Result[1];
        Map<String, INDArray> out = executor.run(feeds, List.of(CausalLM.LOGITS_2D), List.of(gradFeed), first -> {
            long t0 = OpProfile.enabled() ? System.nanoTime() : 0;
            result[0] = loss.compute(first.get(CausalLM.LOGITS_2D), targets, costEmbed);
            if (OpProfile.enabled()) OpProfile.add("(loss op " + loss.objective().kind() + ")", System.nanoTime() - t0);
            return Map.of(gradFeed, result[0].gradLogits());
        }, gradNames);
        Map<String, INDArray> grads = new LinkedHashMap<>();
        for (int i = 0; i < paramNames.size(); i++) grads.put(paramNames.get(i), out.get(gradNames.get(i)));
        collectHostGarbage();
        return new Step(result[0], grads);
    }

    private long lastGc = System.nanoTime();

    /**
     * The graph's arrays are pooled, but each step also makes small host arrays (the feeds, the loss
     * op's row vectors) whose off-heap memory ND4J frees only when the Java objects are collected;
     * with a small heap that can take hundreds of steps (stories260k: RSS 0.6 → 1.3 GB over 120
     * steps). One System.gc() per ≥ 5 s of training keeps RSS flat at well under 1 % of the time.
     */
    private void collectHostGarbage() {
        long now = System.nanoTime();
        if (now - lastGc < 5_000_000_000L) return;
        System.gc();
        lastGc = System.nanoTime();
    }

    /** The executor running the gradient function (for memory figures). */
    public GraphExecutor executor() {
        return executor;
    }

    /** Gives a step's gradient arrays back for reuse once the caller is done with them. */
    public void recycle(Map<String, INDArray> grads) {
        grads.values().forEach(executor::recycle);
    }
}

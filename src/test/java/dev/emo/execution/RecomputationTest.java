package dev.emo.execution;

import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.autodiff.util.SameDiffUtils;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.ExternalErrorsFunction;
import org.nd4j.linalg.api.ops.random.custom.DistributionUniform;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Layer groups from parameter names, and the executor's layer re-runs (gradient checkpointing) on a
 * small pre-norm residual stack with LLaMA's decomposed RMSNorm: x [N, D] → 3 × (x + tanh(norm(x)·W))
 * → final norm → logits [N, V].
 */
class RecomputationTest {
    private static final int N = 6, D = 8, V = 5, LAYERS = 3;

    private static SameDiff graph(ExternalErrorsFunction[] hook) {
        Nd4j.getRandom().setSeed(3);
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, D);
        SDVariable h = x.mul("embedded", sd.var("embed.weight", Nd4j.randn(DataType.FLOAT, 1, D)));
        for (int l = 0; l < LAYERS; l++) {
            String p = "model.layers." + l + ".";
            SDVariable ms = sd.mean("ms" + l, h.mul("sq" + l, h), true, 1);                        // [N, 1]
            SDVariable normed = h.div("div" + l, sd.math.sqrt("sqrt" + l, ms.add("eps" + l, 1e-5)))
                    .mul("normed" + l, sd.var(p + "norm.weight", Nd4j.rand(DataType.FLOAT, 1, D).addi(0.5)));
            SDVariable act = sd.math.tanh("act" + l, sd.mmul("up" + l, normed, sd.var(p + "w", Nd4j.randn(DataType.FLOAT, D, D))));
            h = h.add("out" + l, act);                                                             // the residual stream
        }
        SDVariable fin = h.mul("final", sd.var("model.norm.weight", Nd4j.rand(DataType.FLOAT, 1, D).addi(0.5)));
        SDVariable logits = sd.mmul("logits", fin, sd.var("lm_head.weight", Nd4j.randn(DataType.FLOAT, D, V)));
        hook[0] = SameDiffUtils.externalErrors(sd, null, logits);
        dev.emo.compat.ExternalGradient.createGradFunctionQuietly(sd);   // without its per-op log lines
        return sd;
    }

    @Test
    void layerIndexFromVariableNames() {
        assertEquals(11, LayerGroups.layerOf("transformer.h.11.attn.c_attn.weight"));
        assertEquals(3, LayerGroups.layerOf("model.layers.3.mlp.down_proj.lora_B.weight"));
        assertEquals(0, LayerGroups.layerOf("model.decoder.layers.0.fc1.bias"));
        assertEquals(2, LayerGroups.layerOf("lora_dropout_mask.model.layers.2.self_attn.q_proj"));
        assertEquals(-1, LayerGroups.layerOf("lm_head.weight"));
        assertEquals(-1, LayerGroups.layerOf("transformer.wth.1.x"));       // "h" must be a whole name part
        assertEquals(-1, LayerGroups.layerOf("model.norm.weight"));
    }

    /**
     * Each layer runs from its norm statistics to its residual add; the first layer's statistics are
     * computed from the embedding alone (shared); what follows the last layer's last parameter (its
     * tanh and residual add, the final norm, the head) is the tail.
     */
    @Test
    void groupsCutAtTheResidualStream() {
        SameDiff sd = graph(new ExternalErrorsFunction[1]);
        List<SameDiffOp> forward = new ArrayList<>();
        new ExecutionPlan(sd, Set.of("x"), List.of(), List.of("logits"), List.of("logits")).first.forEach(s -> forward.add(s.op()));
        int[] group = LayerGroups.of(sd, forward);
        Map<String, Integer> byOutput = new HashMap<>();
        for (int i = 0; i < group.length; i++) byOutput.put(forward.get(i).getOutputsOfOp().get(0), group[i]);
        Map<String, Integer> want = new HashMap<>(Map.of("embedded", -1, "final", -1, "logits", -1, "act2", -1, "out2", -1));
        for (String op : List.of("sq", "ms", "eps", "sqrt", "div")) {
            want.put(op + 0, -1);
            want.put(op + 1, 1);
            want.put(op + 2, 2);
        }
        for (int l = 0; l < LAYERS; l++) for (String op : List.of("normed", "up", "act")) want.putIfAbsent(op + l, l);
        want.put("out0", 0);
        want.put("out1", 1);
        assertEquals(new java.util.TreeMap<>(want), new java.util.TreeMap<>(byOutput));
    }

    @Test
    void recomputedGradientsAreTheStoredOnes() {
        ExternalErrorsFunction[] hook = new ExternalErrorsFunction[1];
        SameDiff sd = graph(hook);
        String placeholder = hook[0].getGradPlaceholderName();
        List<String> params = new ArrayList<>(List.of("embed.weight", "model.norm.weight", "lm_head.weight"));
        for (int l = 0; l < LAYERS; l++) params.addAll(List.of("model.layers." + l + ".norm.weight", "model.layers." + l + ".w"));
        List<String> gradNames = params.stream().map(p -> sd.getVariable(p).getGradient().name()).toList();
        INDArray x = Nd4j.randn(DataType.FLOAT, N, D), g = Nd4j.randn(DataType.FLOAT, N, V);

        GraphExecutor stored = new GraphExecutor(sd.getFunction("grad"));
        GraphExecutor recomputing = new GraphExecutor(sd.getFunction("grad"), true);
        Map<String, INDArray> want = stored.run(Map.of("x", x), List.of("logits"), List.of(placeholder), f -> Map.of(placeholder, g), gradNames);
        for (int run = 0; run < 2; run++) {     // the second run reuses pooled buffers
            Map<String, INDArray> got = recomputing.run(Map.of("x", x), List.of("logits"), List.of(placeholder), f -> Map.of(placeholder, g), gradNames);
            for (int i = 0; i < params.size(); i++) {
                assertEquals(want.get(gradNames.get(i)), got.get(gradNames.get(i)), "d/d" + params.get(i) + ", run " + run);
            }
            got.values().forEach(recomputing::recycle);
        }
        // each layer is re-run where the backward pass reaches it, from its input (out1, out0, or the
        // shared div0) up to its last value the backward pass reads; up2 stays (the tail's tanh reads it)
        ExecutionPlan plan = new ExecutionPlan(sd.getFunction("grad"), Set.of("x"), List.of(placeholder), List.of("logits"), gradNames, true);
        List<String> rerun = plan.second.stream().filter(ExecutionPlan.Step::rerun)
                .map(st -> st.outs().get(0).replace(Recomputation.SUFFIX, "")).toList();
        assertEquals(List.of("sq2", "ms2", "eps2", "sqrt2", "div2", "normed2",
                "sq1", "ms1", "eps1", "sqrt1", "div1", "normed1", "up1", "normed0", "up0"), rerun);
        assertEquals(2L * rerun.size(), recomputing.recomputedOps(), "re-runs over two calls");

        GraphExecutor forwardOnly = new GraphExecutor(sd, true);
        INDArray logits = forwardOnly.output(Map.of("x", x), List.of("logits")).get("logits");
        assertEquals(0, forwardOnly.recomputedOps(), "a forward-only call is planned as without checkpointing");
        assertEquals(sd.outputSingle(Map.of("x", x), "logits"), logits);
    }

    /** A layer that multiplies by random numbers drawn in the graph: the draw is kept, not re-run (a re-run would draw others). */
    @Test
    void aRandomOpIsKeptNotRerun() {
        SameDiff sd = SameDiff.create();
        SDVariable h = sd.placeHolder("x", DataType.FLOAT, -1, D);
        for (int l = 0; l < 2; l++) {
            SDVariable up = sd.mmul("up" + l, h, sd.var("model.layers." + l + ".w", Nd4j.randn(DataType.FLOAT, D, D)));
            SDVariable noise = new DistributionUniform(sd, sd.shape(up), 0.5, 1.5).outputVariable().rename("noise" + l);  // [N, D]
            SDVariable scale = sd.var("model.layers." + l + ".s", Nd4j.rand(DataType.FLOAT, 1, D));
            h = h.add("out" + l, sd.math.tanh("act" + l, up.mul("noisy" + l, noise)).mul("scaled" + l, scale));
        }
        ExternalErrorsFunction hook = SameDiffUtils.externalErrors(sd, null, sd.mmul("logits", h, sd.var("head", Nd4j.randn(DataType.FLOAT, D, V))));
        dev.emo.compat.ExternalGradient.createGradFunctionQuietly(sd);
        List<String> grads = List.of(sd.getVariable("model.layers.0.w").getGradient().name());
        ExecutionPlan plan = new ExecutionPlan(sd.getFunction("grad"), Set.of("x"), List.of(hook.getGradPlaceholderName()), List.of("logits"), grads, true);
        List<String> rerun = plan.second.stream().filter(ExecutionPlan.Step::rerun).map(st -> st.outs().get(0)).toList();
        assertEquals(List.of("up1", "noisy1", "act1", "up0", "noisy0", "act0").stream().map(v -> v + Recomputation.SUFFIX).toList(), rerun);
        assertTrue(plan.second.stream().anyMatch(st -> !st.rerun() && st.ins().contains("noise0")), "the backward pass reads the kept draw");
    }
}

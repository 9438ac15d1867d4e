package dev.emo.execution;

import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.ExternalErrorsFunction;
import org.nd4j.autodiff.util.SameDiffUtils;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The executor against SameDiff's own session on a graph with the op kinds the models use
 * (2-D and batched matmuls with transposes, broadcast adds, reductions with an axis, scalar ops,
 * softmax, reshape/permute, an external gradient), and its memory behaviour.
 */
class GraphExecutorTest {
    private static final int B = 3, T = 5, D = 8, V = 11;

    /** A small attention-like block: x [B·T, D] → logits [B·T, V], with the logits' gradient fed from outside. */
    private static SameDiff graph(ExternalErrorsFunction[] hook) {
        Nd4j.getRandom().setSeed(11);
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, D);
        SDVariable w = sd.var("w", Nd4j.randn(DataType.FLOAT, D, D).muli(0.3));
        SDVariable bias = sd.var("b", Nd4j.randn(DataType.FLOAT, D).muli(0.1));
        SDVariable head = sd.var("head", Nd4j.randn(DataType.FLOAT, V, D).muli(0.3));
        SDVariable h = sd.mmul(x, w).add(bias);                                           // [N, D]
        SDVariable centered = h.sub(sd.mean(h, true, 1));
        SDVariable q = sd.permute(sd.reshape(centered, B, T, 2, D / 2), 0, 2, 1, 3);     // [B, 2, T, D/2]
        SDVariable scores = sd.mmul(q, q, false, true, false).mul(0.5);                  // [B, 2, T, T]
        SDVariable att = sd.mmul(sd.nn.softmax(scores, -1), q);                          // [B, 2, T, D/2]
        SDVariable y = sd.permute(att, 0, 2, 1, 3).reshape(B * T, D);
        SDVariable act = sd.nn.sigmoid(y.add(h)).mul(y);
        SDVariable logits = sd.mmul(act, head, false, true, false).rename("logits");     // [N, V]
        hook[0] = SameDiffUtils.externalErrors(sd, null, logits);
        sd.createGradFunction();
        return sd;
    }

    @Test
    void outputsAndGradientsEqualSameDiffs() {
        ExternalErrorsFunction[] hook = new ExternalErrorsFunction[1];
        SameDiff sd = graph(hook);
        INDArray x = Nd4j.randn(DataType.FLOAT, B * T, D);
        INDArray g = Nd4j.randn(DataType.FLOAT, B * T, V);
        String placeholder = hook[0].getGradPlaceholderName();
        List<String> params = List.of("w", "b", "head");
        List<String> gradNames = params.stream().map(p -> sd.getVariable(p).getGradient().name()).toList();

        INDArray expectedLogits = sd.outputSingle(Map.of("x", x), "logits");
        Map<String, INDArray> expectedGrads = sd.calculateGradients(Map.of("x", x, placeholder, g), params);

        GraphExecutor forward = new GraphExecutor(sd);
        assertClose(expectedLogits, forward.output(Map.of("x", x), List.of("logits")).get("logits"), "logits");

        GraphExecutor backward = new GraphExecutor(sd.getFunction("grad"));
        INDArray[] seen = new INDArray[1];
        for (int run = 0; run < 3; run++) {    // later runs reuse pooled buffers: results must not change
            Map<String, INDArray> grads = backward.run(Map.of("x", x), List.of("logits"), List.of(placeholder), first -> {
                seen[0] = first.get("logits").dup();
                return Map.of(placeholder, g);
            }, gradNames);
            assertClose(expectedLogits, seen[0], "first-stage logits, run " + run);
            for (int i = 0; i < params.size(); i++) {
                assertClose(expectedGrads.get(params.get(i)), grads.get(gradNames.get(i)), "d/d" + params.get(i) + ", run " + run);
            }
            grads.values().forEach(backward::recycle);
        }
    }

    /** Products with every transpose combination, 2-D and batched: HostBlas runs their forward and backward. */
    @Test
    void matmulGradientsInEveryLayout() {
        for (boolean tx : new boolean[]{false, true}) {
            for (boolean ty : new boolean[]{false, true}) {
                for (long[] batch : new long[][]{{}, {2, 3}}) {
                    Nd4j.getRandom().setSeed(7);
                    long m = 4, k = 6, n = 5;
                    SameDiff sd = SameDiff.create();
                    SDVariable x = sd.var("x", Nd4j.randn(DataType.FLOAT, HostBlasTest.concat(batch, tx ? new long[]{k, m} : new long[]{m, k})));
                    SDVariable y = sd.var("y", Nd4j.randn(DataType.FLOAT, HostBlasTest.concat(batch, ty ? new long[]{n, k} : new long[]{k, n})));
                    SDVariable w = sd.constant("w", Nd4j.randn(DataType.FLOAT, HostBlasTest.concat(batch, new long[]{m, n})));
                    sd.sum("loss", sd.mmul(x, y, tx, ty, false).mul(w)).markAsLoss();   // dL/dz = w
                    sd.createGradFunction();
                    Map<String, INDArray> expected = sd.calculateGradients(Map.of(), "x", "y");
                    List<String> names = List.of(sd.getVariable("x").getGradient().name(), sd.getVariable("y").getGradient().name());
                    Map<String, INDArray> got = new GraphExecutor(sd.getFunction("grad")).output(Map.of(), names);
                    String what = "tx " + tx + " ty " + ty + " batch " + java.util.Arrays.toString(batch);
                    assertClose(expected.get("x"), got.get(names.get(0)), "dx, " + what);
                    assertClose(expected.get("y"), got.get(names.get(1)), "dy, " + what);
                }
            }
        }
    }

    @Test
    void freesEachArrayAfterItsLastReaderAndReusesBuffers() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 1000);
        SDVariable y = x;
        for (int i = 0; i < 20; i++) y = sd.math.tanh(y).add(1.0);                      // 40 arrays in a chain
        y.rename("y");
        GraphExecutor ex = new GraphExecutor(sd);
        INDArray in = Nd4j.rand(DataType.FLOAT, 250, 1000);                               // 1 MB per array
        long array = in.length() * 4;
        INDArray first = ex.output(Map.of("x", in), List.of("y")).get("y");
        long peak = ex.takePeakLiveBytes();
        assertTrue(peak <= 3 * array, "a chain should hold about 2 arrays at once, held " + peak / (double) array);
        INDArray kept = first.dup();
        ex.recycle(first);
        long pooled = ex.pooledBytes();
        assertTrue(pooled <= 3 * array, "pooled " + pooled / (double) array + " arrays");
        INDArray second = ex.output(Map.of("x", in), List.of("y")).get("y");
        assertEquals(pooled - array, ex.pooledBytes(), "the second call allocates nothing (its output is handed over)");
        assertClose(kept, second, "repeat");
        assertClose(sd.outputSingle(Map.of("x", in), "y"), second, "vs SameDiff");
    }

    @Test
    void namesAMissingPlaceholder() {
        ExternalErrorsFunction[] hook = new ExternalErrorsFunction[1];
        SameDiff sd = graph(hook);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GraphExecutor(sd).output(Map.of(), List.of("logits")));
        assertTrue(e.getMessage().contains("'x'"), e.getMessage());
    }

    static void assertClose(INDArray expected, INDArray actual, String what) {
        assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(actual.shape()), what + " shape");
        double diff = expected.castTo(DataType.DOUBLE).sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        double scale = Math.max(1e-3, expected.amaxNumber().doubleValue());
        assertTrue(diff <= 1e-5 * scale, what + ": max |Δ| " + diff + " (scale " + scale + ")");
    }
}

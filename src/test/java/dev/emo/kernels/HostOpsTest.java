package dev.emo.kernels;

import dev.emo.compat.LayerNorm;
import dev.emo.execution.GraphExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each fused host op, forward and backward, against the primitive composition it replaces run by
 * SameDiff's own session in float64: values and the gradient of every input, on shapes that run on one
 * thread (decode-sized) and split across threads, through our executor as the models run them;
 * each with the Vector API's loops ({@link FloatLanes}) and with the scalar loops a JVM without the
 * module runs.
 */
class HostOpsTest {
    /** Builds out = op(inputs) in a fresh graph; the loss is Σ out ⊙ R for a fixed random R. */
    private interface Op {
        SDVariable build(SameDiff sd, List<SDVariable> inputs, boolean fused);
    }

    /** Max |Δ| over (output, every input's gradient) between the fused op in our executor and the primitives in SameDiff. */
    private static void check(String what, Op op, INDArray... inputs) {
        check(what, op, inputs[0].shape(), inputs);
    }

    /** The same for an op whose output is shaped outShape. */
    private static void check(String what, Op op, long[] outShape, INDArray... inputs) {
        Map<String, INDArray> want = run(op, inputs, outShape, false), got = run(op, inputs, outShape, true);
        for (String name : want.keySet()) {
            INDArray w = want.get(name), g = got.get(name);
            assertEquals(java.util.Arrays.toString(w.shape()), java.util.Arrays.toString(g.shape()), what + " " + name + " shape");
            double diff = w.castTo(DataType.DOUBLE).sub(g.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
            double scale = Math.max(1e-3, w.amaxNumber().doubleValue());
            assertTrue(diff <= 2e-5 * scale, what + ", " + name + ": max |Δ| " + diff + " (scale " + scale + ")");
        }
    }

    private static Map<String, INDArray> run(Op op, INDArray[] inputs, long[] outShape, boolean fused) {
        SameDiff sd = SameDiff.create();
        List<SDVariable> vars = new ArrayList<>();
        // the reference runs in float64: on rows of tiny variance float primitives are the less exact side
        DataType type = fused ? DataType.FLOAT : DataType.DOUBLE;
        for (int i = 0; i < inputs.length; i++) vars.add(sd.var("in" + i, inputs[i].castTo(type)));
        SDVariable out = op.build(sd, vars, fused).rename("out");
        Nd4j.getRandom().setSeed(3);
        sd.sum("loss", out.mul(sd.constant(Nd4j.randn(DataType.FLOAT, outShape).castTo(type)))).markAsLoss();
        sd.createGradFunction();
        Map<String, INDArray> result = new LinkedHashMap<>();
        List<String> grads = vars.stream().map(v -> v.getGradient().name()).toList();
        if (fused) {
            try (GraphExecutor forward = new GraphExecutor(sd); GraphExecutor backward = new GraphExecutor(sd.getFunction("grad"))) {
                result.put("output", forward.output(Map.of(), List.of("out")).get("out").dup());
                Map<String, INDArray> g = backward.output(Map.of(), grads);
                for (int i = 0; i < grads.size(); i++) result.put("d/din" + i, g.get(grads.get(i)).dup());
            }
        } else {
            result.put("output", sd.outputSingle(Map.of(), "out"));
            Map<String, INDArray> g = sd.calculateGradients(Map.of(), vars.stream().map(SDVariable::name).toList());
            for (int i = 0; i < vars.size(); i++) result.put("d/din" + i, g.get(vars.get(i).name()));
        }
        return result;
    }

    private final boolean simdBefore = Simd.on();   // JUnit makes an instance per test

    /** Switches the vector loops on or off for one test (on: the module must be there, as surefire's argLine puts it). */
    private void lanes(boolean simd) {
        Simd.set(simd);
        assertEquals(simd, Simd.on(), "the Vector API module is missing: run the JVM with " + Simd.JVM_OPTION);
    }

    @AfterEach
    void restoreLanes() {
        Simd.set(simdBefore);
    }

    private static INDArray randn(long... shape) {
        return Nd4j.randn(DataType.FLOAT, shape);
    }

    @ParameterizedTest(name = "vector lanes {0}")
    @ValueSource(booleans = {true, false})
    void geluNewEqualsItsPrimitives(boolean simd) {
        lanes(simd);
        Nd4j.getRandom().setSeed(1);
        Op gelu = (sd, in, fused) -> GeluNew.apply(sd, in.get(0), fused);
        check("gelu [3, 7]", gelu, randn(3, 7).muli(3));
        check("gelu [300, 130] (threads)", gelu, randn(300, 130).muli(3));
    }

    @ParameterizedTest(name = "vector lanes {0}")
    @ValueSource(booleans = {true, false})
    void maskedSoftmaxEqualsItsPrimitives(boolean simd) {
        lanes(simd);
        Nd4j.getRandom().setSeed(2);
        Op softmax = (sd, in, fused) -> MaskedSoftmax.apply(sd, in.get(0), in.get(1), 0.125, fused);
        for (long[] s : new long[][]{{2, 3, 5, 7}, {2, 3, 1, 9}, {2, 4, 64, 70}}) {
            INDArray bias = Nd4j.rand(DataType.FLOAT, s[0], 1, s[2], s[3]).lt(0.3).castTo(DataType.FLOAT).muli(-1e9f);
            check("masked softmax " + java.util.Arrays.toString(s), softmax, randn(s).muli(4), bias);
        }
    }

    @ParameterizedTest(name = "vector lanes {0}")
    @ValueSource(booleans = {true, false})
    void layerNormEqualsItsPrimitivesAlsoOnRowsOfTinyVariance(boolean simd) {
        lanes(simd);
        Nd4j.getRandom().setSeed(4);
        Op ln = (sd, in, fused) -> FusedLayerNorm.apply(sd, in.get(0), in.get(1), in.get(2), 1e-5,
                () -> LayerNorm.withEps(sd, in.get(0), in.get(1), in.get(2), 1e-5), fused);
        check("layer norm [3, 8]", ln, randn(3, 8), randn(8), randn(8));
        INDArray x = randn(300, 128);
        x.get(NDArrayIndex.interval(0, 10), NDArrayIndex.all()).assign(randn(10, 128).muli(1e-4).addi(2));   // variance ≪ eps
        check("layer norm [300, 128] (threads)", ln, x, randn(128), randn(128));
    }

    @Test
    void headSplitAndMergeEqualTheirPrimitives() {
        Nd4j.getRandom().setSeed(6);
        for (int[] bthd : new int[][]{{2, 5, 3, 4}, {4, 64, 4, 32}}) {   // the second splits across threads
            int b = bthd[0], t = bthd[1], h = bthd[2], hd = bthd[3];
            for (int parts : new int[]{1, 3}) {
                Op split = (sd, in, fused) -> {
                    if (!fused) {   // [B, T, k, H, hd] → [k, B, H, T, hd], the parts one after another
                        return sd.permute(in.get(0).reshape(b, t, parts, h, hd), 2, 0, 3, 1, 4).reshape((long) parts * b, h, t, hd);
                    }
                    SDVariable[] heads = Heads.split(sd, in.get(0), sd.constant(Nd4j.createFromArray((long) b, t)), parts, h, hd);
                    return parts == 1 ? heads[0] : sd.concat(0, heads);
                };
                check("split heads " + java.util.Arrays.toString(bthd) + ", " + parts + " part(s)", split, new long[]{(long) parts * b, h, t, hd},
                        randn(b * t, (long) parts * h * hd));
            }
            Op merge = (sd, in, fused) -> fused ? Heads.merge(sd, in.get(0), sd.constant(Nd4j.createFromArray((long) b, t)), h, hd)
                    : sd.permute(in.get(0), 0, 2, 1, 3).reshape(b * t, h * hd);
            check("merge heads " + java.util.Arrays.toString(bthd), merge, new long[]{(long) b * t, (long) h * hd}, randn(b, h, t, hd));
        }
    }

    /** Inputs that are views (offset, strided) are read as the values they show; outputs nothing reads are not computed. */
    @Test
    void readsViewsAndSkipsUnneededOutputs() {
        Nd4j.getRandom().setSeed(5);
        INDArray base = randn(20, 30).muli(3);
        INDArray view = base.get(NDArrayIndex.interval(2, 12), NDArrayIndex.interval(5, 25));   // [10, 20], offset and strided
        Function<long[], INDArray> alloc = shape -> Nd4j.createUninitialized(DataType.FLOAT, shape);
        INDArray fromView = new GeluNew.Forward().run(new INDArray[]{view}, new boolean[]{true}, alloc::apply)[0];
        INDArray fromCopy = new GeluNew.Forward().run(new INDArray[]{view.dup('c')}, new boolean[]{true}, alloc::apply)[0];
        assertEquals(fromCopy, fromView);

        INDArray p = Nd4j.rand(DataType.FLOAT, 1, 2, 3, 4), g = randn(1, 2, 3, 4), bias = Nd4j.zeros(DataType.FLOAT, 1, 1, 3, 4);
        MaskedSoftmax.Backward backward = new MaskedSoftmax.Backward();
        backward.addTArgument(0.5);
        INDArray[] grads = backward.run(new INDArray[]{p, g, bias}, new boolean[]{true, false}, alloc::apply);
        assertNull(grads[1], "the mask's gradient is not computed when nothing reads it");
    }
}

package dev.emo.compat;

import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.util.SameDiffUtils;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.ExternalErrorsFunction;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The upstream (DL4J/ND4J M2.1) behaviours that the classes of this package work around, asserted
 * directly on tiny graphs, no fixtures. When one of these fails after a DL4J upgrade, upstream has
 * changed: the message names the workaround to re-check and, most likely, remove.
 */
class UpstreamBehaviourTest {
    private static final String FIXED = "upstream changed: re-check (and probably remove) ";

    /** y = x·w with dL/dy fed through SameDiff's external-gradient hook. */
    private static SameDiff externalGraph(String[] placeholder) {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, 2, 3);
        SDVariable w = sd.var("w", Nd4j.linspace(DataType.FLOAT, 1, 12, 1).reshape(3, 4).divi(10));
        SDVariable y = sd.mmul("y", x, w);
        ExternalErrorsFunction fn = SameDiffUtils.externalErrors(sd, null, y);
        ExternalGradient.createGradFunctionQuietly(sd);
        placeholder[0] = fn.getGradPlaceholderName();
        return sd;
    }

    @Test
    void theExternalGradientHookDoublesTheFedGradient() {
        String[] ph = new String[1];
        SameDiff sd = externalGraph(ph);
        assertNotEquals(ph[0], ExternalGradient.feedPoint(sd, ph[0]), FIXED + "ExternalGradient.feedPoint: no add(g, g) in the gradient function");
        INDArray x = Nd4j.linspace(DataType.FLOAT, -1, 6, 1).reshape(2, 3).divi(3), g = Nd4j.linspace(DataType.FLOAT, 1, 8, 1).reshape(2, 4);
        INDArray dw = sd.calculateGradients(Map.of("x", x, ph[0], g), "w").get("w");
        INDArray once = x.transpose().mmul(g);                                   // dL/dw = xᵀ·g
        assertEquals(0, dw.sub(once.mul(2)).amaxNumber().doubleValue(), 1e-4, FIXED + "ExternalGradient.feedPoint: the gradient is no longer 2·xᵀg");
    }

    @Test
    void buildingAGradientFunctionPrintsToStdout() {
        SameDiff sd = SameDiff.create();
        SDVariable w = sd.var("w", Nd4j.ones(DataType.FLOAT, 2, 2));
        sd.sum(sd.math.tanh(w)).markAsLoss();
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        try {
            sd.createGradFunction();
        } finally {
            System.setOut(out);
        }
        assertTrue(captured.size() > 0, FIXED + "ExternalGradient.createGradFunctionQuietly: nothing printed");
    }

    @Test
    void gatherGradientIsSilentlyWrongForReshapedIndices() {
        GatherRows.unregisterForTest();
        try {
            SameDiff sd = SameDiff.create();
            SDVariable table = sd.var("table", Nd4j.rand(DataType.FLOAT, 5, 3));
            SDVariable idx = sd.constant("idx", Nd4j.createFromArray(new long[][]{{1, 3}, {1, 0}}));
            INDArray weight = Nd4j.linspace(DataType.FLOAT, 1, 12, 1).reshape(4, 3);
            sd.sum(sd.gather(table, idx.reshape(-1), 0).mul(sd.constant(weight))).markAsLoss();
            INDArray expected = Nd4j.zeros(DataType.FLOAT, 5, 3);                // scatter-add of the weight rows
            long[] rows = {1, 3, 1, 0};
            for (int i = 0; i < rows.length; i++) expected.getRow(rows[i]).addi(weight.getRow(i));
            double err;
            try {
                INDArray got = sd.calculateGradients(Map.of(), "table").get("table");
                err = got.sub(expected).amaxNumber().doubleValue();
            } catch (RuntimeException fails) {
                err = Double.POSITIVE_INFINITY;                                    // the other upstream failure mode
            }
            assertTrue(err > 1e-3, FIXED + "GatherRows: ND4J's gather gradient is now right (max error " + err + ")");
        } finally {
            GatherRows.register();
        }
    }

    @Test
    void nativeLayerNormHasNoEpsilon() {
        INDArray x = Nd4j.createFromArray(new float[][]{{1f, 1.001f, 0.999f, 1f}});   // variance 5e-7, far below eps
        SameDiff sd = SameDiff.create();
        SDVariable in = sd.constant("x", x), gain = sd.constant("g", Nd4j.ones(DataType.FLOAT, 4)), bias = sd.constant("b", Nd4j.zeros(DataType.FLOAT, 4));
        INDArray nativeOut = sd.nn.layerNorm("ln", in, gain, bias, false, 1).eval();
        INDArray withEps = LayerNorm.withEps(sd, in, gain, bias, 1e-5).eval();
        INDArray noEps = LayerNorm.withEps(sd, in, gain, bias, 0).eval();
        assertTrue(nativeOut.sub(noEps).amaxNumber().doubleValue() < 1e-2, "native layer_norm ≈ eps 0: " + nativeOut + " vs " + noEps);
        assertTrue(nativeOut.sub(withEps).amaxNumber().doubleValue() > 0.5, FIXED + "LayerNorm.withEps: native layer_norm now honours an eps");
    }

    @Test
    void aReshapeAfterTheExternallyFedOutputBecomesASecondLoss() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, 2, 3);
        SDVariable y = sd.mmul("y", x, sd.var("w", Nd4j.ones(DataType.FLOAT, 3, 4)));
        SDVariable r = y.reshape(2, 2, 2);                                       // a terminal reshape, as [B, T, V] logits would be
        SameDiffUtils.externalErrors(sd, null, y);
        ExternalGradient.createGradFunctionQuietly(sd);
        assertTrue(sd.getLossVariables().contains(r.name()),
                FIXED + "CausalLM.head's 2-D logits: the reshape is no longer a loss (" + sd.getLossVariables() + ")");
    }

    @Test
    void javaCppCapsPhysicalBytesByDefault() {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("org.bytedeco.javacpp.maxphysicalbytes") == null,
                "the test JVM must run without the cap setting to see JavaCPP's default");
        Nd4j.create(1);   // loads the backend, as an application would
        assertTrue(Pointer.maxPhysicalBytes() > 0, FIXED + "run.sh's -Dorg.bytedeco.javacpp.maxphysicalbytes=0: no cap by default now");
    }
}

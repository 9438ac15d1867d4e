package dev.emo.objectives;

import dev.emo.kernels.LossRows;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The loss's host row passes (float logits on the CPU: kernels.LossRows) against the same op on
 * float64 logits, which runs ND4J's ops: loss, MLE and DEMD means, guarded count and the gradient,
 * for every objective, on a vocabulary that is not a whole number of vector lanes.
 */
class FusedLossHostPathTest {
    static final int N = 41, V = 1003, D = 24;

    @ParameterizedTest
    @MethodSource("dev.emo.objectives.FusedLossGradientTest#objectives")
    void hostPassesEqualTheFloat64Op(Objective o) {
        Random r = new Random(7);
        float[][] z = new float[N][V], e = new float[V][D];
        for (float[] row : z) for (int j = 0; j < V; j++) row[j] = (float) (3 * r.nextGaussian());
        for (float[] row : e) for (int j = 0; j < D; j++) row[j] = (float) r.nextGaussian();
        int[] y = new int[N];
        for (int t = 0; t < N; t++) y[t] = r.nextInt(V);
        y[5] = FusedLmLoss.IGNORE;
        z[9][y[9]] = 12;   // a confident token (q_y ≈ 0.98); not so confident that float rounding could put DEMD ≤ 0
        INDArray logits = Nd4j.create(z), cost = CostEmbedding.normalizedCopy(Nd4j.create(e));
        assertTrue(LossRows.applies(logits), "float [N, V] logits on the CPU take the host passes");

        FusedLmLoss.Result host = new FusedLmLoss(o).compute(logits, y, cost);
        FusedLmLoss.Result ref = new FusedLmLoss(o).compute(logits.castTo(DataType.DOUBLE), y, cost.castTo(DataType.DOUBLE));
        assertEquals(ref.loss(), host.loss(), 2e-6 * Math.abs(ref.loss()), "loss");
        assertEquals(ref.meanMle(), host.meanMle(), 2e-6 * Math.abs(ref.meanMle()), "mean MLE");
        if (o.needsDemd()) assertEquals(ref.meanDemd(), host.meanDemd(), 1e-5 * Math.abs(ref.meanDemd()), "mean DEMD");
        assertEquals(ref.tokens(), host.tokens());
        assertEquals(ref.guarded(), host.guarded(), "guarded tokens");
        INDArray want = ref.gradLogits(), got = host.gradLogits().castTo(DataType.DOUBLE);
        double rel = got.sub(want).norm2Number().doubleValue() / want.norm2Number().doubleValue();
        double worst = got.sub(want).amaxNumber().doubleValue() / want.amaxNumber().doubleValue();
        System.out.printf("[host loss] %-28s loss %.9f vs %.9f, grad |Δ|/|ref| %.2e, max %.2e%n", o, host.loss(), ref.loss(), rel, worst);
        assertTrue(rel <= 2e-6, "gradient relative error " + rel);
        assertTrue(worst <= 2e-6, "gradient max error relative to its largest entry " + worst);
        assertEquals(0.0, got.getRow(5).amaxNumber().doubleValue(), "an ignored position has no gradient");
    }

    /**
     * A token predicted with q_y = 1 − 1e-6: its DEMD ≈ 1e-6 must keep its digits in float (the
     * subtraction 1 − Σ_j q_j s_j would leave rounding noise of ±1e-7, and with it the EMO weight
     * mle/demd and even its sign). Float on the host, against the op in float64.
     */
    @ParameterizedTest
    @MethodSource("dev.emo.objectives.FusedLossGradientTest#objectives")
    void aConfidentTokensDemdKeepsItsDigits(Objective o) {
        if (!o.needsDemd()) return;
        Random r = new Random(9);
        float[][] z = new float[1][V], e = new float[V][D];
        for (int j = 0; j < V; j++) z[0][j] = (float) r.nextGaussian();
        for (float[] row : e) for (int j = 0; j < D; j++) row[j] = (float) r.nextGaussian();
        int[] y = {17};
        z[0][17] = 21;   // Σ_{j≠y} e^z ≈ 1.6e3, e^21 ≈ 1.3e9: 1 − q_y ≈ 1.2e-6
        INDArray logits = Nd4j.create(z), cost = CostEmbedding.normalizedCopy(Nd4j.create(e));
        FusedLmLoss.Result host = new FusedLmLoss(o).compute(logits, y, cost);
        FusedLmLoss.Result ref = new FusedLmLoss(o).compute(logits.castTo(DataType.DOUBLE), y, cost.castTo(DataType.DOUBLE));
        double demdOnly = ref.meanDemd() - (o.goldDetach() ? Math.exp(-ref.meanMle()) : 0);
        System.out.printf("[confident] %-28s demd %.6e vs %.6e (without the gold-detach term %.3e)%n", o, host.meanDemd(), ref.meanDemd(), demdOnly);
        assertTrue(demdOnly > 5e-7 && demdOnly < 3e-6, "the planted token's DEMD is ≈ 1e-6: " + demdOnly);
        // gold-detached DEMD adds q_y ≈ 1 itself, which float holds to ≈ 1e-7
        assertEquals(ref.meanDemd(), host.meanDemd(), o.goldDetach() ? 2e-7 : 1e-4 * demdOnly, "DEMD of a confident token");
        assertEquals(ref.meanMle(), host.meanMle(), 1e-4 * ref.meanMle(), "−log q_y of a confident token");
        assertEquals(0, host.guarded(), "no DEMD ≤ 0 from rounding");
        assertEquals(ref.loss(), host.loss(), 1e-4 * Math.abs(ref.loss()), "loss");
    }
}

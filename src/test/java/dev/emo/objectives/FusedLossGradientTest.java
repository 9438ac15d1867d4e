package dev.emo.objectives;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fused op's closed-form gradient equals (1) SameDiff autodiff of the textbook composition
 * 1 − ⟨Êᵀq, Ê[y]⟩ (the oracle, with the detached weights as constants) and (2) central finite
 * differences, on random inputs drawn fresh each run (the seed is printed).
 */
class FusedLossGradientTest {
    static final int N = 7, V = 11, D = 5;

    static Stream<Objective> objectives() {
        return Stream.of(Objective.of("mle"), Objective.of("demd"), Objective.of("emo"),
                Objective.of("emo").withRatioCap(3), Objective.of("emo").withGoldDetach(true), Objective.of("emo2"),
                Objective.of("mixce").withEta(0.3), Objective.of("tailr").withTailr(0.5, 0.2));
    }

    record Case(INDArray logits, int[] targets, INDArray costEmbed, long seed) {}

    static Case randomCase() {
        long seed = System.nanoTime();
        Random r = new Random(seed);
        double[][] z = new double[N][V], e = new double[V][D];
        for (double[] row : z) for (int j = 0; j < V; j++) row[j] = 2 * r.nextGaussian();
        for (double[] row : e) for (int j = 0; j < D; j++) row[j] = r.nextGaussian();
        int[] y = new int[N];
        for (int t = 0; t < N; t++) y[t] = r.nextInt(V);
        y[2] = FusedLmLoss.IGNORE; // one ignored position
        // rows of unit norm in float64 (normalizedCopy rounds to float, whose |ê|² = 1 ± 1e-7 the op takes as exactly 1)
        INDArray cost = Nd4j.create(e);
        cost.diviColumnVector(cost.norm2(1).reshape(V, 1));
        return new Case(Nd4j.create(z), y, cost, seed);
    }

    @ParameterizedTest
    @MethodSource("objectives")
    void closedFormMatchesAutodiffAndFiniteDifferences(Objective o) {
        Case c = randomCase();
        FusedLmLoss op = new FusedLmLoss(o);
        FusedLmLoss.Result r = op.compute(c.logits, c.targets, c.costEmbed);
        INDArray grad = r.gradLogits().dup();

        INDArray oracle = autodiff(o, c);
        double relOracle = grad.sub(oracle).norm2Number().doubleValue() / oracle.norm2Number().doubleValue();

        double h = 1e-6, maxFd = 0;
        for (int t = 0; t < N; t++) {
            for (int k = 0; k < V; k++) {
                INDArray plus = c.logits.dup(), minus = c.logits.dup();
                plus.putScalar(t, k, plus.getDouble(t, k) + h);
                minus.putScalar(t, k, minus.getDouble(t, k) - h);
                // the weights are detached: finite differences hold them at the unperturbed values
                double fd = (frozenLoss(o, c, plus) - frozenLoss(o, c, minus)) / (2 * h);
                maxFd = Math.max(maxFd, Math.abs(fd - grad.getDouble(t, k)));
            }
        }
        System.out.printf("[gradcheck] %-24s seed %d: |G−autodiff|/|G| %.1e, max|G−FD| %.1e%n", o, c.seed, relOracle, maxFd);
        assertTrue(relOracle < 1e-10, o + " vs autodiff: " + relOracle + " (seed " + c.seed + ")");
        assertTrue(maxFd < 1e-7, o + " vs finite differences: " + maxFd + " (seed " + c.seed + ")");
        for (int k = 0; k < V; k++) assertEquals(0.0, grad.getDouble(2, k), 0.0, "ignored row has no gradient");
    }

    /** Per-token detached coefficients at the unperturbed point, as the objective defines them. */
    private static double[][] weights(Objective o, Case c) {
        double[][] w = new double[N][2];
        for (int t = 0; t < N; t++) {
            if (c.targets[t] == FusedLmLoss.IGNORE) continue;
            double[] tok = tokenValues(c.logits, t, c.targets[t], c.costEmbed, o.goldDetach());
            Objective.Coefficients k = o.at(tok[0], tok[1], tok[2]);
            w[t][0] = k.a();
            w[t][1] = k.b();
        }
        return w;
    }

    /** mle, demd, p_y of one token, straight from the definitions (float64). */
    static double[] tokenValues(INDArray logits, int t, int y, INDArray e, boolean goldDetach) {
        double[] z = logits.getRow(t).toDoubleVector();
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double x : z) max = Math.max(max, x);
        for (double x : z) sum += Math.exp(x - max);
        double[] q = new double[z.length];
        for (int j = 0; j < z.length; j++) q[j] = Math.exp(z[j] - max) / sum;
        double[] u = new double[(int) e.size(1)];                       // Êᵀq (or with q_y removed)
        for (int j = 0; j < z.length; j++) {
            double qj = goldDetach && j == y ? 0 : q[j];
            for (int d = 0; d < u.length; d++) u[d] += qj * e.getDouble(j, d);
        }
        double dot = 0;
        for (int d = 0; d < u.length; d++) dot += u[d] * e.getDouble(y, d);
        return new double[]{max + Math.log(sum) - z[y], 1 - dot, q[y]};
    }

    /** Σ_t (a_t·mle_t + b_t·demd_t)/valid with a, b frozen at the unperturbed point: its gradient is the op's. */
    private static double frozenLoss(Objective o, Case c, INDArray logits) {
        double[][] w = weights(o, c);
        double s = 0;
        int valid = 0;
        for (int t = 0; t < N; t++) {
            if (c.targets[t] == FusedLmLoss.IGNORE) continue;
            double[] tok = tokenValues(logits, t, c.targets[t], c.costEmbed, false);
            s += w[t][0] * tok[0] + w[t][1] * tok[1];
            valid++;
        }
        return s / valid;
    }

    /** SameDiff autodiff of the textbook form, the detached coefficients as constants. */
    private static INDArray autodiff(Objective o, Case c) {
        double[][] w = weights(o, c);
        double[] a = new double[N], b = new double[N];
        double[][] onehot = new double[N][V];
        int[] safe = new int[N];
        int valid = 0;
        for (int t = 0; t < N; t++) {
            boolean ok = c.targets[t] != FusedLmLoss.IGNORE;
            safe[t] = ok ? c.targets[t] : 0;
            if (!ok) continue;
            valid++;
            a[t] = w[t][0];
            b[t] = w[t][1];
            onehot[t][c.targets[t]] = 1;
        }
        SameDiff sd = SameDiff.create();
        SDVariable z = sd.var("z", c.logits.dup());
        SDVariable e = sd.constant("E", c.costEmbed);
        SDVariable gold = sd.constant("P", c.costEmbed.getRows(safe));
        SDVariable q = sd.nn.softmax(z, 1);
        SDVariable demd = sd.sum(sd.mmul(q, e).mul(gold), 1).rsub(1.0);              // 1 − ⟨Êᵀq, Ê[y]⟩
        SDVariable mle = sd.sum(sd.nn.logSoftmax(z).mul(sd.constant(Nd4j.create(onehot))), 1).neg();
        SDVariable loss = sd.sum(mle.mul(sd.constant(Nd4j.createFromArray(a))).add(demd.mul(sd.constant(Nd4j.createFromArray(b)))))
                .div(valid);
        loss.markAsLoss();
        Map<String, INDArray> g = sd.calculateGradients(Map.of(), "z");
        return g.get("z");
    }
}

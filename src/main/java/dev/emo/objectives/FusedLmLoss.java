package dev.emo.objectives;

import dev.emo.kernels.LossRows;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The loss "op" at the end of the LM: forward and closed-form backward of any {@link Objective}
 * from the logits, with the softmax over [N × V] computed once and DEMD costing one extra
 * [N × d'] × [d' × V] product.
 *
 * <p>DEMD = 1 − ⟨Êᵀq, Ê[y]⟩ is rewritten with s = Ê·Ê[y] (s_j = cos(e_j, e_y)) and the transport
 * costs c_j = 1 − s_j as demd = Σ_j q_j c_j (Σ_j q_j = 1), whose gradient is ∂demd/∂z_k =
 * q_k (c_k − demd): the product Ê[y]·Êᵀ is the only V-sized matmul, where autodiff of the textbook
 * form needs two. Summing q_j c_j rather than subtracting Σ_j q_j s_j from 1 keeps the digits of a
 * confident token's DEMD (q_y ≈ 1: demd ≈ 1e-6, where 1 − Σ q_j s_j is rounding noise of ±1e-7, the
 * sign of the detached EMO weight mle/demd included), and the gold's own cost is exactly 0.
 *
 * <p>Why outside the graph: SameDiff M2.1 has no user-defined ops (a custom op's forward must be
 * a native libnd4j op, and a subclass's doDiff is lost when the gradient graph is cloned). So this
 * op computes its value and dL/dlogits outside the graph (row passes on the host, kernels.LossRows, or
 * ND4J's ops elsewhere), and {@code training.GraphTrainer} feeds that gradient into SameDiff's
 * backward pass through the external-gradient hook on the logits.
 *
 * <p>Buffers of [N × V] are reused across calls with the same shape: allocating them dominates on
 * CPU (see the DL4J findings).
 */
public final class FusedLmLoss {
    private static final Logger LOG = LogManager.getLogger(FusedLmLoss.class);
    public static final int IGNORE = -100;

    private final Objective objective;
    private INDArray probs;    // [N, V]: q, then overwritten with the gradient
    private INDArray qs;       // [N, V]: s, then q⊙s

    public FusedLmLoss(Objective objective) {
        this.objective = objective;
    }

    public Objective objective() {
        return objective;
    }

    /** The value of every objective's ingredients for one batch, and the chosen objective's loss. */
    public record Result(double loss, double meanMle, double meanDemd, int tokens, int guarded, INDArray gradLogits) {}

    /**
     * @param logits     [N, V] float (or double, for finite-difference checks), not modified
     * @param targets    N labels, {@link #IGNORE} where no loss is taken
     * @param costEmbed  Ê [V, d'] with L2-normalised rows (ignored unless the objective needs DEMD)
     * @return the token mean over non-ignored targets and its gradient w.r.t. the logits (a buffer
     *         owned by this object, valid until the next call)
     */
    public Result compute(INDArray logits, int[] targets, INDArray costEmbed) {
        long n = logits.size(0), v = logits.size(1);
        if (targets.length != n) throw new IllegalArgumentException("targets " + targets.length + " ≠ rows " + n);
        DataType dt = logits.dataType();
        probs = reuse(probs, n, v, dt);
        int[] safe = new int[(int) n];
        int valid = 0;
        for (int t = 0; t < n; t++) {
            boolean ok = targets[t] != IGNORE;
            if (ok && (targets[t] < 0 || targets[t] >= v)) {
                throw new IllegalArgumentException("label " + targets[t] + " outside the vocabulary [0, " + v + ")");
            }
            safe[t] = ok ? targets[t] : 0;
            if (ok) valid++;
        }
        // host row passes where they apply (CPU, dense float), else ND4J's ops: same formulas, float rounding apart
        boolean host = LossRows.applies(logits, probs);
        Tokens r = new Tokens(objective, targets, valid, (int) n);
        if (host) {
            LossRows.softmax(logits, probs, r.mle);                          // mle ← log Σ exp z, then − z_y
        } else {
            // q = softmax(z), and log Σ exp: mle = max + log Σ exp(z − max) − z_y (no log of a tiny q_y)
            INDArray rowMax = logits.max(1);                                // [N]
            probs.assign(logits).subiColumnVector(rowMax.reshape(n, 1));
            Transforms.exp(probs, false);
            INDArray rowSum = probs.sum(1);                                 // [N]
            probs.diviColumnVector(rowSum.reshape(n, 1));
            double[] maxs = rowMax.toDoubleVector(), sums = rowSum.toDoubleVector();
            for (int t = 0; t < n; t++) r.mle[t] = maxs[t] + Math.log(sums[t]);
        }
        for (int t = 0; t < n; t++) {
            r.mle[t] -= logits.getDouble(t, safe[t]);
            r.py[t] = probs.getDouble(t, safe[t]);
        }

        INDArray grad = probs;                                              // q becomes the gradient in place
        if (objective.needsDemd()) {
            INDArray e = costEmbed.castTo(dt);
            INDArray gold = e.getRows(safe);                                // [N, d'] = Ê[y]
            qs = reuse(qs, n, v, dt);
            Nd4j.gemm(gold, e, qs, false, true, 1.0, 0.0);                  // s = Ê[y]·Êᵀ  [N, V]
            // the gold's cosine with itself is 1 (0 for a zero row of Ê), not the product's 1 ± 1e-7,
            // whose rounding would dominate the DEMD of a confident token
            double[] goldNorm = gold.norm2(1).toDoubleVector();
            r.selfCosine = new double[(int) n];
            double[] goldCost = new double[(int) n];
            for (int t = 0; t < n; t++) {
                r.selfCosine[t] = goldNorm[t] > 0 ? 1 : 0;
                goldCost[t] = 1 - r.selfCosine[t];
            }
            if (host) {
                LossRows.gradient(probs, qs, safe, goldCost, r::weights);
            } else {
                INDArray qc = qs.rsubi(1);                                  // c = 1 − s: the transport costs to the gold token
                for (int t = 0; t < n; t++) qc.putScalar(t, safe[t], goldCost[t]);
                qc.muli(probs);                                             // q⊙c
                double[] demd = qc.sum(1).toDoubleVector();                 // Σ q_j c_j
                double[] alpha = new double[(int) n], beta = new double[(int) n];
                for (int t = 0; t < n; t++) {
                    double[] w = r.weights(t, demd[t]);
                    alpha[t] = w[0];
                    beta[t] = w[1];
                }
                grad.muliColumnVector(Nd4j.createFromArray(alpha).castTo(dt).reshape(n, 1));
                grad.addi(qc.muliColumnVector(Nd4j.createFromArray(beta).castTo(dt).reshape(n, 1)));
            }
        } else if (host) {
            LossRows.gradient(probs, null, null, null, r::weights);
        } else {
            double[] scale = new double[(int) n];
            for (int t = 0; t < n; t++) scale[t] = r.weights(t, 0)[0];
            grad.muliColumnVector(Nd4j.createFromArray(scale).castTo(dt).reshape(n, 1));
        }
        for (int t = 0; t < n; t++) {
            if (r.goldA[t] != 0) grad.putScalar(t, safe[t], grad.getDouble(t, safe[t]) - r.goldA[t]);
        }
        return r.result(grad);
    }

    /**
     * Per-token values of one batch. {@link #weights} turns a row's forward values into its loss
     * and gradient weights. With the costs c = 1 − s and demd = Σ_j q_j c_j, ∂demd/∂z_k =
     * q_k (c_k − demd), so G_t = [a·(q − e_y) + b·q⊙(c − demd)] / valid = q⊙(α + β·c) − a·e_y/valid
     * with α = (a − b·demd)/valid, β = b/valid. The host passes call it from several threads, for
     * different rows.
     */
    private static final class Tokens {
        final Objective objective;
        final int[] targets;
        final int valid;
        final double inv;
        final double[] mle, py, demd, loss, goldA;
        final boolean[] guarded;
        double[] selfCosine;   // s_yy: 1, or 0 for a zero row of Ê

        Tokens(Objective objective, int[] targets, int valid, int n) {
            this.objective = objective;
            this.targets = targets;
            this.valid = valid;
            this.inv = valid == 0 ? 0 : 1.0 / valid;
            mle = new double[n];
            py = new double[n];
            demd = new double[n];
            loss = new double[n];
            goldA = new double[n];
            guarded = new boolean[n];
        }

        /** {α, β}: row t of the gradient is q⊙(α + β·c), minus goldA[t] at the gold; 0 for ignored rows. */
        double[] weights(int t, double transport) {
            if (objective.needsDemd()) {
                // gold-detached q: the gold entry is removed from DEMD's value only (adds q_y·s_yy), not from its gradient
                demd[t] = transport + (objective.goldDetach() ? py[t] * selfCosine[t] : 0);
            }
            if (targets[t] == IGNORE) return new double[]{0, 0};
            Objective.Coefficients c = objective.at(mle[t], demd[t], py[t]);
            loss[t] = c.loss();
            guarded[t] = c.guarded();
            goldA[t] = c.a() * inv;
            return new double[]{(c.a() - c.b() * transport) * inv, c.b() * inv};
        }

        /** Token means over the non-ignored rows, summed in row order. */
        Result result(INDArray grad) {
            double lossSum = 0, mleSum = 0, demdSum = 0;
            int guardedCount = 0;
            for (int t = 0; t < targets.length; t++) {
                if (targets[t] == IGNORE) continue;
                lossSum += loss[t];
                mleSum += mle[t];
                demdSum += demd[t];
                if (guarded[t]) guardedCount++;
            }
            if (guardedCount > 0) {
                // typical on tokens predicted with q_y ≈ 1, where rounding puts DEMD at ≈ −1e-7 and both
                // gradients are ≈ 0 anyway; callers report the count (Result.guarded) in their log lines
                LOG.debug("{} token(s) had DEMD ≤ 0 or NaN; their DEMD weight was clamped to 0", guardedCount);
            }
            return new Result(lossSum * inv, mleSum * inv, objective.needsDemd() ? demdSum * inv : Double.NaN, valid, guardedCount, grad);
        }
    }

    private static INDArray reuse(INDArray buf, long n, long v, DataType dt) {
        if (buf != null && buf.size(0) == n && buf.size(1) == v && buf.dataType() == dt) return buf;
        return Nd4j.createUninitialized(dt, n, v);
    }

    /** Targets for logits flattened from [B, T]: row (b, t) predicts labels[b][t+1]; the last position is ignored. */
    public static int[] shiftedTargets(INDArray labels) {
        int b = (int) labels.size(0), t = (int) labels.size(1);
        int[] out = new int[b * t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) out[i * t + j] = j + 1 < t ? labels.getInt(i, j + 1) : IGNORE;
        }
        return out;
    }
}

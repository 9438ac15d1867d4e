package dev.emo.objectives;

import dev.emo.UserError;

import java.util.List;
import java.util.Locale;

/**
 * A training objective as per-token coefficients of two gradients. For a token with softmax q and
 * gold y, every objective here has the gradient
 * <pre>  ∂ℓ/∂z = a·(q − e_y) + b·q⊙(s̄ − s)</pre>
 * (the MLE and DEMD gradients) with a and b detached functions of the token's forward values
 * mle = −log q_y, demd and p_y = q_y. So one fused pass computes them all.
 *
 * @param kind        mle | demd | emo | emo2 | mixce | tailr
 * @param ratioCap    emo: clip the detached ratio mle/demd at this value (∞: no clip)
 * @param goldDetach  emo: q − sg(q⊙onehot(y)) inside DEMD (changes DEMD's value, not its gradient); emo2 always
 * @param eta         mixce: weight of plain MLE
 * @param gamma       tailr: γ
 * @param minWeight   tailr: lower clamp of the weight
 */
public record Objective(String kind, double ratioCap, boolean goldDetach, double eta, double gamma, double minWeight) implements java.io.Serializable {
    public static final List<String> KINDS = List.of("mle", "demd", "emo", "emo2", "mixce", "tailr");
    static final double EPS = 1e-10;

    public Objective {
        kind = kind.toLowerCase(Locale.ROOT);
        if (!KINDS.contains(kind)) {
            throw new UserError("--objective " + kind + ": unknown objective; use one of " + KINDS);
        }
        if (!(ratioCap > 0)) throw new UserError("--emo-ratio-cap " + ratioCap + ": must be > 0");
        if (!(eta >= 0 && eta <= 1)) throw new UserError("--mixce-eta " + eta + ": must be in [0, 1]");
        if (!(gamma > 0 && gamma <= 1)) throw new UserError("--tailr-gamma " + gamma + ": must be in (0, 1]");
        if (!(minWeight >= 0 && minWeight <= 1)) throw new UserError("--tailr-min-weight " + minWeight + ": must be in [0, 1]");
        if (kind.equals("emo2")) goldDetach = true;
    }

    public static Objective of(String kind) {
        return new Objective(kind, Double.POSITIVE_INFINITY, false, 0.5, 0.5, 0.0);
    }

    public Objective withRatioCap(double cap) {
        return new Objective(kind, cap, goldDetach, eta, gamma, minWeight);
    }

    public Objective withGoldDetach(boolean on) {
        return new Objective(kind, ratioCap, on, eta, gamma, minWeight);
    }

    public Objective withEta(double e) {
        return new Objective(kind, ratioCap, goldDetach, e, gamma, minWeight);
    }

    public Objective withTailr(double g, double wMin) {
        return new Objective(kind, ratioCap, goldDetach, eta, g, wMin);
    }

    public boolean needsDemd() {
        return kind.equals("demd") || kind.equals("emo") || kind.equals("emo2");
    }

    /** Per-token loss value and gradient coefficients. */
    public record Coefficients(double loss, double a, double b, boolean guarded) {}

    /**
     * @param mle  −log q_y
     * @param demd DEMD's forward value (gold-detached where this objective asks for it)
     * @param py   q_y
     */
    public Coefficients at(double mle, double demd, double py) {
        switch (kind) {
            case "mle":
                return new Coefficients(mle, 1, 0, false);
            case "demd":
                return new Coefficients(demd, 0, 1, false);
            case "emo": {
                // 0.5·(mle + sg(mle/(demd+ε))·demd): value ≈ mle, DEMD's gradient rescaled to MLE's size
                boolean bad = !(demd > 0) || Double.isNaN(mle);
                double w = bad ? 0 : Math.min(mle / (demd + EPS), ratioCap);
                return new Coefficients(0.5 * (mle + w * demd), 0.5, 0.5 * w, bad);
            }
            case "emo2": {
                // demd + sg(demd/(mle+ε))·mle
                boolean bad = !(demd > 0) || !(mle >= 0);
                double u = bad ? 0 : demd / (mle + EPS);
                return new Coefficients((bad ? 0 : demd) + u * mle, u, bad ? 0 : 1, bad);
            }
            case "mixce": {
                double w = eta + (1 - eta) * py;
                return new Coefficients(w * mle, w, 0, false);
            }
            case "tailr": {
                double w = Math.min(1, Math.max(minWeight, py / (gamma + (1 - gamma) * py)));
                return new Coefficients(w * mle, w, 0, false);
            }
            default:
                throw new IllegalStateException(kind);
        }
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(kind);
        if (kind.equals("emo") && ratioCap < Double.POSITIVE_INFINITY) s.append(" cap=").append(ratioCap);
        if (kind.equals("emo") && goldDetach) s.append(" gold-detach");
        if (kind.equals("mixce")) s.append(" eta=").append(eta);
        if (kind.equals("tailr")) s.append(" gamma=").append(gamma).append(" min-weight=").append(minWeight);
        return s.toString();
    }
}

package dev.emo.compat;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * LayerNorm written out of SameDiff primitives, because M2.1's native {@code layer_norm} takes no
 * epsilon and behaves as if it were ~0: on rows of small variance its output differs from
 * PyTorch's (eps 1e-5) by orders of magnitude more than our parity tolerance.
 */
public final class LayerNorm {
    private LayerNorm() {}

    /** (x − mean) / √(var + eps) · gain + bias over the last dim of x [N, d]. */
    public static SDVariable withEps(SameDiff sd, SDVariable x, SDVariable gain, SDVariable bias, double eps) {
        SDVariable mean = sd.mean(x, true, 1);                       // [N, 1]
        SDVariable centered = x.sub(mean);                           // [N, d]
        SDVariable var = sd.mean(centered.mul(centered), true, 1);   // [N, 1], biased as PyTorch's
        return centered.div(sd.math.sqrt(var.add(eps))).mul(gain).add(bias);
    }
}

package dev.emo.training;

import dev.emo.kernels.AdamWUpdate;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW exactly as torch.optim.AdamW computes it: decoupled weight decay p ← p − lr·λ·p, then
 * m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², p ← p − (lr/(1−β1ᵗ))·m / (√v/√(1−β2ᵗ) + ε).
 * Weight decay skips biases and norm gains, as Hugging Face's Trainer does. All updates are in
 * place on the parameter arrays, with one scratch buffer per parameter shape (no temporaries).
 */
public final class AdamW {
    private final double beta1, beta2, eps, weightDecay;
    private final java.util.function.Predicate<String> decays;     // by HF name: the model family's rule
    private final Map<String, INDArray> m = new LinkedHashMap<>();
    private final Map<String, INDArray> v = new LinkedHashMap<>();
    private final Map<String, INDArray> scratch = new HashMap<>();   // one buffer per parameter shape
    private long step;

    /** @param decays which parameters (by Hugging Face name) weight decay applies to: {@code ModelFamily::decays} */
    public AdamW(double beta1, double beta2, double eps, double weightDecay, java.util.function.Predicate<String> decays) {
        this.decays = decays;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    public long stepCount() {
        return step;
    }


    /** One update of every parameter that has a gradient; grads are consumed (overwritten). */
    public void step(Map<String, INDArray> params, Map<String, INDArray> grads, double lr) {
        step++;
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        double stepSize = lr / bc1, sqrtBc2 = Math.sqrt(bc2);
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            INDArray g = grads.get(e.getKey());
            if (g == null) continue;
            INDArray p = e.getValue();
            boolean decay = weightDecay != 0 && decays.test(e.getKey());
            INDArray mk = m.computeIfAbsent(e.getKey(), k -> Nd4j.zeros(p.dataType(), p.shape()));
            INDArray vk = v.computeIfAbsent(e.getKey(), k -> Nd4j.zeros(p.dataType(), p.shape()));
            if (AdamWUpdate.applies(p, g, mk, vk)) {   // one pass on the host; the same float operations as below
                AdamWUpdate.apply(p, g, mk, vk, AdamWUpdate.Scalars.of(decay ? 1 - lr * weightDecay : 1, beta1, beta2, stepSize, sqrtBc2, eps));
                continue;
            }
            if (decay) p.muli(1 - lr * weightDecay);
            INDArray tmp = scratch.computeIfAbsent(p.dataType() + Arrays.toString(p.shape()),
                    k -> Nd4j.createUninitialized(p.dataType(), p.shape()));
            vk.muli(beta2).addi(tmp.assign(g).muli(g).muli(1 - beta2));     // v ← β2·v + (1−β2)·g²
            mk.muli(beta1).addi(g.muli(1 - beta1));                         // m ← β1·m + (1−β1)·g; g is scratch from here on
            INDArray denom = Transforms.sqrt(tmp.assign(vk), false).divi(sqrtBc2).addi(eps);
            p.subi(g.assign(mk).divi(denom).muli(stepSize));
        }
    }

    /** Optimizer state for checkpoints: first/second moments by parameter name, and the step. */
    public Map<String, INDArray> firstMoments() {
        return m;
    }

    public Map<String, INDArray> secondMoments() {
        return v;
    }

    public void restore(long steps, Map<String, INDArray> first, Map<String, INDArray> second) {
        step = steps;
        m.clear();
        v.clear();
        first.forEach((k, a) -> m.put(k, a.dup()));
        second.forEach((k, a) -> v.put(k, a.dup()));
    }
}

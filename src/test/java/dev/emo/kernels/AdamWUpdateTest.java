package dev.emo.kernels;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one-pass AdamW update against the same update as ND4J operations (training.AdamW's other
 * path, torch.optim.AdamW's order), three steps with and without weight decay, on a length with a
 * scalar tail: parameters and both moments within 2 ulp.
 */
class AdamWUpdateTest {
    @Test
    void onePassEqualsTheNd4jOperations() {
        assertTrue(Simd.on(), "the Vector API module is missing: run the JVM with " + Simd.JVM_OPTION);
        Nd4j.getRandom().setSeed(11);
        int n = 3 * 4096 + 13;   // several parallel rows and a tail
        double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, lr = 3e-3;
        for (double weightDecay : new double[]{0, 0.1}) {
            INDArray p = Nd4j.randn(DataType.FLOAT, n), m = Nd4j.zeros(DataType.FLOAT, n), v = Nd4j.zeros(DataType.FLOAT, n);
            INDArray rp = p.dup(), rm = m.dup(), rv = v.dup();
            for (int step = 1; step <= 3; step++) {
                INDArray g = Nd4j.randn(DataType.FLOAT, n).muli(step == 2 ? 1e-3 : 1);
                double bc1 = 1 - Math.pow(beta1, step), sqrtBc2 = Math.sqrt(1 - Math.pow(beta2, step)), stepSize = lr / bc1;
                assertTrue(AdamWUpdate.applies(p, g, m, v));
                AdamWUpdate.apply(p, g, m, v, AdamWUpdate.Scalars.of(1 - lr * weightDecay, beta1, beta2, stepSize, sqrtBc2, eps));

                INDArray rg = g.dup(), tmp = Nd4j.createUninitialized(DataType.FLOAT, n);
                if (weightDecay != 0) rp.muli(1 - lr * weightDecay);
                rv.muli(beta2).addi(tmp.assign(rg).muli(rg).muli(1 - beta2));
                rm.muli(beta1).addi(rg.muli(1 - beta1));
                INDArray denom = Transforms.sqrt(tmp.assign(rv), false).divi(sqrtBc2).addi(eps);
                rp.subi(rg.assign(rm).divi(denom).muli(stepSize));

                assertWithinUlps("p, decay " + weightDecay + ", step " + step, rp, p);
                assertWithinUlps("m, decay " + weightDecay + ", step " + step, rm, m);
                assertWithinUlps("v, decay " + weightDecay + ", step " + step, rv, v);
            }
        }
    }

    private static void assertWithinUlps(String what, INDArray want, INDArray got) {
        float[] w = want.toFloatVector(), g = got.toFloatVector();
        double worst = 0;
        for (int i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(w[i] - g[i]) / Math.ulp(Math.max(Math.abs(w[i]), Float.MIN_NORMAL)));
        assertTrue(worst <= 2, what + ": " + worst + " ulp apart");
    }
}

package dev.emo.compat;

import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedding gradient: a table used by gather (indices [B, T] with heavy repetition, as padding
 * makes them) and again as a tied head gets scatter-add + head gradient, the same on every run.
 */
class GatherRowsTest {
    @Test
    void tiedTableGradientIsExactAndDeterministic() {
        GatherRows.register();
        int v = 50, d = 16, b = 8, t = 64;
        Nd4j.getRandom().setSeed(3);
        INDArray table = Nd4j.randn(DataType.FLOAT, v, d);
        long[] ids = new long[b * t];
        for (int i = 0; i < ids.length; i++) ids[i] = i % 4 == 0 ? 1 : (i * 7) % 13; // index 1 repeated 128 times
        INDArray idx = Nd4j.createFromArray(ids).reshape(b, t);
        INDArray upstream = Nd4j.randn(DataType.FLOAT, b * t, v);             // d loss / d logits

        SameDiff sd = SameDiff.create();
        SDVariable w = sd.var("table", table.dup());
        SDVariable in = sd.placeHolder("idx", DataType.INT64, -1, -1);
        SDVariable h = sd.math.tanh(sd.gather(w, in.reshape(-1), 0));         // [N, d]
        SDVariable logits = sd.mmul(h, w, false, true, false);                // tied head [N, V]
        sd.sum(logits.mul(sd.constant(upstream))).markAsLoss();

        // expected, in float64: head part upstreamᵀ·h, plus scatter-add of (upstream·W)⊙(1 − h²)
        INDArray w64 = table.castTo(DataType.DOUBLE), up64 = upstream.castTo(DataType.DOUBLE);
        INDArray hh = Nd4j.zeros(DataType.DOUBLE, b * t, d);
        for (int i = 0; i < ids.length; i++) hh.putRow(i, org.nd4j.linalg.ops.transforms.Transforms.tanh(w64.getRow(ids[i]), true));
        INDArray expected = up64.transpose().mmul(hh);
        INDArray dh = up64.mmul(w64).muli(hh.mul(hh).rsubi(1));
        for (int i = 0; i < ids.length; i++) expected.getRow(ids[i]).addi(dh.getRow(i));

        for (int run = 0; run < 5; run++) {
            INDArray g = sd.calculateGradients(Map.of("idx", idx), "table").get("table").castTo(DataType.DOUBLE);
            double rel = g.sub(expected).norm2Number().doubleValue() / expected.norm2Number().doubleValue();
            assertTrue(rel < 1e-5, "run " + run + ": relative error " + rel);
        }
    }
}

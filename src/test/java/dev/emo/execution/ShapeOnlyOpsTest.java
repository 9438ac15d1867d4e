package dev.emo.execution;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The broadcast reduction behind add_bp/subtract_bp: the gradient summed back to each operand's shape. */
class ShapeOnlyOpsTest {
    @Test
    void reducesOverBroadcastAxes() {
        INDArray g = Nd4j.arange(24).castTo(DataType.FLOAT).reshape(2, 3, 4);
        try (ArrayPool pool = new ArrayPool()) {
            assertEquals(g, ShapeOnlyOps.reduceTo(g, new long[]{2, 3, 4}, pool), "same shape: a copy");
            assertEquals(g.sum(0, 1), ShapeOnlyOps.reduceTo(g, new long[]{4}, pool), "a bias [4]");
            assertEquals(g.sum(true, 1), ShapeOnlyOps.reduceTo(g, new long[]{2, 1, 4}, pool), "a kept axis");
            INDArray scalar = ShapeOnlyOps.reduceTo(g, new long[]{1, 1}, pool);
            assertArrayEquals(new long[]{1, 1}, scalar.shape());
            assertEquals(276.0, scalar.getDouble(0), 0.0);
            assertThrows(IllegalArgumentException.class, () -> ShapeOnlyOps.reduceTo(g, new long[]{3, 3, 4}, pool));
        }
    }

    /** A bias gradient large enough to be split across threads by column blocks: Σ over rows, as ND4J's sum in float64. */
    @Test
    void sumsLargeBiasGradientsOverRows() {
        Nd4j.getRandom().setSeed(3);
        INDArray g = Nd4j.randn(DataType.FLOAT, 2, 300, 131);
        try (ArrayPool pool = new ArrayPool()) {
            for (long[] shape : new long[][]{{131}, {1, 131}, {1, 1, 131}}) {
                INDArray want = g.castTo(DataType.DOUBLE).sum(0, 1).reshape(shape);
                INDArray got = ShapeOnlyOps.reduceTo(g, shape, pool);
                assertArrayEquals(shape, got.shape());
                assertEquals(0, want.sub(got.castTo(DataType.DOUBLE)).amaxNumber().doubleValue(), 1e-4, java.util.Arrays.toString(shape));
            }
        }
    }
}

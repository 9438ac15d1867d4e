package dev.emo.execution;

import dev.emo.util.DenseFloats;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Ops that read some inputs only for their shapes, run here from recorded shapes so that those
 * inputs can be freed when their last real reader is done. SameDiff's {@code add_bp(x, y, g)} and
 * {@code subtract_bp} take the forward operands only to know how to reduce g back to their shapes,
 * and {@code shape_of} reads none of its input's values; left to libnd4j they would keep every
 * bias-add input, every GELU term and every attention score tensor alive for the whole backward
 * pass (≈ 1.3 GB for GPT-2 small at 8 × 256).
 */
final class ShapeOnlyOps {
    /** Op name → the input positions that are read for their shape only. */
    private static final Map<String, int[]> SHAPE_INPUTS = Map.of(
            "add_bp", new int[]{0, 1},
            "subtract_bp", new int[]{0, 1},
            "shape_of", new int[]{0});

    private ShapeOnlyOps() {}

    static boolean handles(SameDiffOp op) {
        return SHAPE_INPUTS.containsKey(op.getOp().opName()) && ExecutionPlan.inputs(op).size() == arity(op);
    }

    private static int arity(SameDiffOp op) {
        return op.getOp().opName().equals("shape_of") ? 1 : 3;
    }

    /** Whether input {@code i} of {@code op} is read for its shape only. */
    static boolean shapeOnly(SameDiffOp op, int i) {
        if (!handles(op)) return false;
        for (int s : SHAPE_INPUTS.get(op.getOp().opName())) if (s == i) return true;
        return false;
    }

    /**
     * @param shapes  every input's shape (the shape-only ones recorded when they were computed)
     * @param args    the inputs that are read for values (null at shape-only positions)
     * @param needed  which outputs any later op or the caller reads; the others are left null
     * @param gFree   whether this op is the last reader of the gradient g (args[2]), which may then be returned as an output
     */
    static INDArray[] run(SameDiff sd, SameDiffOp op, long[][] shapes, INDArray[] args, boolean[] needed, boolean gFree,
                          ArrayPool pool) {
        String name = op.getOp().opName();
        if (name.equals("shape_of")) {
            DataType type = sd.getVariable(op.getOutputsOfOp().get(0)).dataType();
            return new INDArray[]{Nd4j.createFromArray(shapes[0]).castTo(type)};
        }
        INDArray g = args[2];
        // where nothing else reads g, the last output of g's own shape takes g itself instead of a copy
        int move = -1;
        for (int i = 0; i < 2 && gFree; i++) if (needed[i] && Arrays.equals(shapes[i], g.shape())) move = i;
        INDArray[] out = new INDArray[2];
        for (int i = 0; i < 2; i++) {
            if (!needed[i]) continue;
            out[i] = i == move ? g : reduceTo(g, shapes[i], pool);
            if (i == 1 && name.equals("subtract_bp")) out[i].negi();
        }
        return out;
    }

    /** g summed over the axes that {@code shape} broadcast (numpy rules, aligned from the right), as {@code shape}. */
    static INDArray reduceTo(INDArray g, long[] shape, ArrayPool pool) {
        long[] gs = g.shape();
        INDArray out = pool.acquire(LongShapeDescriptor.fromShape(shape, g.dataType()));
        if (Arrays.equals(gs, shape)) return out.assign(g);
        List<Integer> axes = new ArrayList<>();
        int lead = gs.length - shape.length;
        for (int a = 0; a < gs.length; a++) {
            long s = a < lead ? 1 : shape[a - lead];
            if (s == 1 && gs[a] != 1) axes.add(a);
            else if (s != gs[a]) throw new IllegalArgumentException("cannot reduce " + Arrays.toString(gs) + " to " + Arrays.toString(shape));
        }
        if (leadingAxes(axes, gs.length - shape.length + trailingOnes(shape)) && DenseFloats.is(g) && DenseFloats.is(out)) {
            sumRows(g, out);
            return out;
        }
        INDArray sum = axes.isEmpty() ? g : g.sum(true, axes.stream().mapToInt(Integer::intValue).toArray());
        return out.assign(sum.reshape(shape));
    }

    /** The number of size-1 dimensions at the front of {@code shape} (a bias [1, C] broadcast like [C]). */
    private static int trailingOnes(long[] shape) {
        int n = 0;
        while (n < shape.length - 1 && shape[n] == 1) n++;
        return n;
    }

    /** Whether the axes are exactly 0..k-1 (k ≥ 1): g is then [rows, columns] reduced over its rows. */
    private static boolean leadingAxes(List<Integer> axes, int k) {
        if (k < 1 || axes.size() != k) return false;
        for (int i = 0; i < k; i++) if (axes.get(i) != i) return false;
        return true;
    }

    /**
     * out [C] = Σ_rows g [R, C], for the bias gradients of every linear layer. libnd4j reduces such a
     * column sum through strided per-column passes (≈ 0.8 s a GPT-2-small step over 48 biases); here
     * each thread takes a block of columns and walks the rows in memory order, accumulating in double.
     */
    private static void sumRows(INDArray g, INDArray out) {
        int cols = (int) out.length(), rows = (int) (g.length() / cols);
        java.nio.FloatBuffer gs = g.data().asNioFloat(), os = out.data().asNioFloat();
        int parts = (long) rows * cols < (1 << 16) ? 1 : Math.min(cols, Runtime.getRuntime().availableProcessors());
        java.util.stream.IntStream.range(0, parts).parallel().forEach(p -> {
            int c0 = (int) ((long) cols * p / parts), c1 = (int) ((long) cols * (p + 1) / parts);
            double[] acc = new double[c1 - c0];
            for (int r = 0; r < rows; r++) {
                int o = r * cols;
                for (int c = c0; c < c1; c++) acc[c - c0] += gs.get(o + c);
            }
            for (int c = c0; c < c1; c++) os.put(c, (float) acc[c - c0]);
        });
    }
}

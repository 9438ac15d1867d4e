package dev.emo.execution;

import dev.emo.kernels.HostOp;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.BaseOp;
import org.nd4j.linalg.api.ops.BaseReduceOp;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.Op;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.ops.ReduceOp;
import org.nd4j.linalg.api.ops.ScalarOp;
import org.nd4j.linalg.api.ops.impl.transforms.custom.Assign;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.List;

/**
 * One op of a graph, ready to run many times: its {@link OpContext} and the output shapes of the
 * last input shapes (re-derived by libnd4j only when an input's shape, or a small integer input
 * such as a shape vector, changed). Parameterised as SameDiff's InferenceSession does it (custom
 * ops get every argument through the context; legacy reductions take their axis from a second
 * input, legacy scalar ops their scalar), but outputs come from the executor's pool.
 */
final class OpCall {
    private static final int VALUE_KEY_LIMIT = 8;   // integer inputs up to this length are shape-like

    private final SameDiffOp op;
    private final DataType[] outTypes;
    private final boolean hostMatmul;     // a float matmul that HostBlas may run
    private final boolean hostMatmulBp;   // its gradient op
    private final OpContext context = Nd4j.getExecutioner().buildContext();
    private long[] lastKey;
    private List<LongShapeDescriptor> lastShapes;

    OpCall(SameDiff sd, SameDiffOp op) {
        this.op = op;
        List<String> outs = op.getOutputsOfOp();
        outTypes = new DataType[outs.size()];
        for (int i = 0; i < outTypes.length; i++) outTypes[i] = sd.getVariable(outs.get(i)).dataType();
        DifferentialFunction f = op.getOp();
        hostMatmul = f.opName().equals("matmul") && outTypes.length == 1 && outTypes[0] == DataType.FLOAT;
        hostMatmulBp = f.opName().equals("matmul_bp") && outTypes.length == 2
                && outTypes[0] == DataType.FLOAT && outTypes[1] == DataType.FLOAT;
        if (f instanceof Assign || !(f instanceof CustomOp || f instanceof Op)) {
            throw new UnsupportedOperationException("the graph executor does not run " + f.getClass().getSimpleName()
                    + " ('" + op.getName() + "'); use SameDiff's own output() for this graph");
        }
    }

    /**
     * Runs the op on {@code args} (in argument order); outputs are taken from {@code pool}.
     * {@code needed[i]} false says nothing reads output i, so where the op runs on the host it may be
     * skipped (null): a frozen weight's half of matmul_bp.
     */
    INDArray[] run(INDArray[] args, boolean[] needed, ArrayPool pool) {
        DifferentialFunction f = op.getOp();
        if (f instanceof HostOp h) return h.run(args, needed, shape -> pool.acquire(LongShapeDescriptor.fromShape(shape, DataType.FLOAT)));
        if (f instanceof CustomOp c) {
            DynamicCustomOp d = (DynamicCustomOp) c;
            if (hostMatmul && HostBlas.accepts(args, d.iArgs(), d.tArgs())) {
                boolean ta = d.iArgs().length > 0 && d.iArgs()[0] != 0, tb = d.iArgs().length > 1 && d.iArgs()[1] != 0;
                INDArray out = pool.acquire(LongShapeDescriptor.fromShape(HostBlas.shape(args[0], ta, args[1], tb), outTypes[0]));
                long t0 = OpProfile.ENABLED ? System.nanoTime() : 0;
                HostBlas.matmul(args[0], ta, args[1], tb, out);
                if (OpProfile.ENABLED) {   // by output shape, sizes ≥ 100 shown as P: separates prompt, decode and attention products
                    OpProfile.add("host:" + java.util.Arrays.toString(out.shape()).replaceAll("\\d{3,}", "P"), System.nanoTime() - t0);
                }
                return new INDArray[]{out};
            }
            if (hostMatmulBp && HostBlas.acceptsBackward(args, d.iArgs())) return hostMatmulBackward(args, d.iArgs(), needed, pool);
            context.setArgs(args, d.iArgs(), d.dArgs(), d.tArgs(), d.bArgs());
            List<LongShapeDescriptor> shapes = shapes(args, () -> c.calculateOutputShape(context));
            for (int i = 0; i < shapes.size(); i++) context.setOutputArray(i, pool.acquire(shapes.get(i)));
            Nd4j.exec(c, context);
        } else {
            Op o = (Op) f;
            boolean axisArg = o instanceof ReduceOp r && r.getOpType() != Op.Type.REDUCE3 && args.length == 2;
            boolean emptyReduce = false;
            if (axisArg) {
                emptyReduce = args[1].isEmpty();
                f.setDimensions(emptyReduce ? null : Shape.normalizeAxis(args[0].rank(), args[1].toIntVector()));
                ((BaseReduceOp) o).setEmptyReduce(emptyReduce);
            } else if (o instanceof ScalarOp s && args.length == 2) {
                s.setScalar(args[1]);
            }
            context.setInputArrays(args.length == 2 && !axisArg ? new INDArray[]{args[0], args[1]} : new INDArray[]{args[0]});
            List<LongShapeDescriptor> shapes = emptyReduce
                    ? List.of(LongShapeDescriptor.fromShape(args[0].shape(), args[0].dataType()))
                    : shapes(args, () -> ((BaseOp) o).calculateOutputShape(context));
            context.setOutputArray(0, pool.acquire(shapes.get(0)));
            Nd4j.exec(o, context);
        }
        return context.getOutputArrays().toArray(new INDArray[0]);
    }

    /**
     * matmul_bp(x, y, g) of z = op(x)·op(y): dx and dy as two products each, e.g. for z = x·y
     * dx = g·yᵀ and dy = xᵀ·g (the transposes swap roles as in the cases below). An output nothing
     * reads is not computed: with LoRA, the frozen weight's gradient (for the head: an [N, V]ᵀ·[N, d] product).
     */
    private INDArray[] hostMatmulBackward(INDArray[] args, long[] iArgs, boolean[] needed, ArrayPool pool) {
        INDArray x = args[0], y = args[1], g = args[2];
        boolean tx = iArgs.length > 0 && iArgs[0] != 0, ty = iArgs.length > 1 && iArgs[1] != 0;
        INDArray dx = null, dy = null;
        if (needed[0]) {
            dx = pool.acquire(LongShapeDescriptor.fromShape(x.shape(), outTypes[0]));
            if (!tx) HostBlas.matmul(g, false, y, !ty, dx);       // dx = g·op(y)ᵀ
            else HostBlas.matmul(y, ty, g, true, dx);             // x stored transposed: dx = op(y)·gᵀ
        }
        if (needed[1]) {
            dy = pool.acquire(LongShapeDescriptor.fromShape(y.shape(), outTypes[1]));
            if (!ty) HostBlas.matmul(x, !tx, g, false, dy);       // dy = op(x)ᵀ·g
            else HostBlas.matmul(g, true, x, tx, dy);             // y stored transposed: dy = gᵀ·op(x)
        }
        return new INDArray[]{dx, dy};
    }

    private List<LongShapeDescriptor> shapes(INDArray[] args, java.util.function.Supplier<List<LongShapeDescriptor>> derive) {
        long[] key = key(args);
        if (lastShapes != null && Arrays.equals(key, lastKey)) return lastShapes;
        List<LongShapeDescriptor> derived = derive.get();
        List<LongShapeDescriptor> shapes = derived == null ? null : new java.util.ArrayList<>(derived);
        if (shapes == null || shapes.size() != outTypes.length) {
            throw new IllegalStateException("op '" + op.getName() + "' reported " + (shapes == null ? 0 : shapes.size())
                    + " output shapes for " + outTypes.length + " outputs");
        }
        // as InferenceSession: ops with several valid output types are given the variable's type
        for (int i = 0; i < shapes.size(); i++) {
            if (shapes.get(i).dataType() != outTypes[i]) shapes.set(i, shapes.get(i).asDataType(outTypes[i]));
        }
        lastKey = key;
        lastShapes = shapes;
        return shapes;
    }

    /** Every input's type, rank and shape, plus the values of small integer inputs (shape vectors, axes). */
    private static long[] key(INDArray[] args) {
        int n = 0;
        for (INDArray a : args) n += 3 + a.rank() + (smallInt(a) ? (int) a.length() : 0);
        long[] key = new long[n];
        int i = 0;
        for (INDArray a : args) {
            key[i++] = a.dataType().ordinal();
            key[i++] = a.isEmpty() ? -1 : a.rank();
            for (long s : a.shape()) key[i++] = s;
            if (smallInt(a)) {
                key[i++] = a.length();
                for (long j = 0; j < a.length(); j++) key[i++] = a.getLong(j);
            } else {
                key[i++] = -2;
            }
        }
        return key;
    }

    private static boolean smallInt(INDArray a) {
        return !a.isEmpty() && a.length() <= VALUE_KEY_LIMIT && (a.dataType().isIntType() || a.dataType() == DataType.BOOL);
    }
}

package dev.emo.lowbit;

import java.lang.ref.WeakReference;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A frozen base projection weight kept as a {@link PackedMatrix}, known to the graph only by an id:
 * the frozen-linear host op carries the id as an integer argument, which survives SameDiff's copy of
 * the graph into its gradient function (a copy that would otherwise serialise every weight through
 * FlatBuffers). The graph is built before the weights are read, so the matrix is set later.
 *
 * <p>Layout: {@code inOut} false is PyTorch's Linear, stored [out, in] (y = x·Wᵀ); true is GPT-2's
 * Conv1D, stored [in, out] (y = x·W).
 */
public final class FrozenWeight {
    private static final AtomicLong NEXT = new AtomicLong(1);
    private static final Map<Long, WeakReference<FrozenWeight>> BY_ID = new ConcurrentHashMap<>();

    private final long id = NEXT.getAndIncrement();
    private final String name;
    private final long rows, cols;
    private final boolean inOut;
    private final BaseDType dtype;
    private volatile PackedMatrix matrix;

    public FrozenWeight(String name, long rows, long cols, boolean inOut, BaseDType dtype) {
        if (!dtype.packed()) throw new IllegalArgumentException(name + ": float32 weights are graph variables");
        this.name = name;
        this.rows = rows;
        this.cols = cols;
        this.inOut = inOut;
        this.dtype = dtype;
        BY_ID.values().removeIf(r -> r.get() == null);
        BY_ID.put(id, new WeakReference<>(this));
    }

    /** The weight an op's id names; an error once its model is gone. */
    public static FrozenWeight byId(long id) {
        WeakReference<FrozenWeight> ref = BY_ID.get(id);
        FrozenWeight w = ref == null ? null : ref.get();
        if (w == null) throw new IllegalStateException("frozen weight #" + id + " no longer exists (its model was released)");
        return w;
    }

    public long id() {
        return id;
    }

    /** Hugging Face name, e.g. model.layers.0.self_attn.q_proj.weight. */
    public String name() {
        return name;
    }

    /** The stored shape, as the checkpoint holds it. */
    public long[] shape() {
        return new long[]{rows, cols};
    }

    public boolean inOut() {
        return inOut;
    }

    public long inFeatures() {
        return inOut ? rows : cols;
    }

    public long outFeatures() {
        return inOut ? cols : rows;
    }

    public BaseDType dtype() {
        return dtype;
    }

    /** The values; an error before they are set. */
    public PackedMatrix matrix() {
        PackedMatrix m = matrix;
        if (m == null) throw new IllegalStateException(name + ": weights not loaded");
        return m;
    }

    public boolean loaded() {
        return matrix != null;
    }

    public void set(PackedMatrix m) {
        if (m.rows() != rows || m.cols() != cols || m.dtype() != dtype) {
            throw new IllegalArgumentException(name + ": [" + m.rows() + ", " + m.cols() + "] " + m.dtype().flag()
                    + " for a [" + rows + ", " + cols + "] " + dtype.flag() + " weight");
        }
        matrix = m;
    }
}

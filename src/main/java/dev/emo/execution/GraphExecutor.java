package dev.emo.execution;

import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.ExternalErrorsFunction;

import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Runs a SameDiff graph (or its gradient function) op by op, without SameDiff's session: the ops
 * and their order are planned once per (fed names, outputs), output shapes are re-derived only
 * when input shapes change, and every intermediate array goes back to a pool the moment its last
 * reader has run. SameDiff M2.1 itself frees nothing during a call (it disables its cache for
 * gradient functions), so a training step held every activation until the next GC.
 *
 * <p>A call may pause between two stages: {@link #run(Map, List, List, Between, List)} computes the
 * first outputs (the logits), hands them to a callback that returns more feeds (the loss's
 * gradient), and goes on to the final outputs (the parameter gradients) reusing every activation
 * of the first stage — one forward pass per training step instead of two.
 *
 * <p>With {@code recomputeLayers} (gradient checkpointing) such a two-stage call keeps only the
 * values between transformer layers from the first stage and re-runs each layer's forward ops when
 * the second stage reaches it ({@link Recomputation}): about one layer's activations live at a
 * time instead of all of them, for one more forward pass of the layers. Calls without late feeds
 * are planned as without it.
 *
 * <p>Ownership: feeds stay the caller's; final outputs are handed over (the caller may give them
 * back with {@link #recycle}); first-stage outputs are valid only inside the callback. One executor
 * per graph and thread.
 */
public final class GraphExecutor implements AutoCloseable {
    /** Supplies the late feeds from the first stage's outputs. */
    @FunctionalInterface
    public interface Between {
        Map<String, INDArray> feeds(Map<String, INDArray> firstOutputs);
    }

    private record PlanKey(Set<String> fed, List<String> late, List<String> first, List<String> outputs) {}

    private final SameDiff sd;
    private final ArrayPool pool = new ArrayPool();
    private final Map<PlanKey, ExecutionPlan> plans = new HashMap<>();
    private final Map<String, OpCall> calls = new HashMap<>();
    private final boolean recomputeLayers;
    private long recomputedOps;

    public GraphExecutor(SameDiff sd) {
        this(sd, false);
    }

    /** @param recomputeLayers gradient checkpointing for two-stage calls: recompute each layer's activations in the second stage */
    public GraphExecutor(SameDiff sd, boolean recomputeLayers) {
        this.sd = sd;
        this.recomputeLayers = recomputeLayers;
    }

    /** The outputs of one call; the arrays become the caller's. */
    public Map<String, INDArray> output(Map<String, INDArray> feeds, List<String> outputs) {
        return run(feeds, List.of(), List.of(), f -> Map.of(), outputs);
    }

    public Map<String, INDArray> run(Map<String, INDArray> feeds, List<String> firstOutputs, List<String> lateFeeds,
                                     Between between, List<String> outputs) {
        PlanKey key = new PlanKey(new TreeSet<>(feeds.keySet()), lateFeeds, firstOutputs, outputs);
        ExecutionPlan plan = plans.computeIfAbsent(key, k -> new ExecutionPlan(sd, k.fed(), k.late(), k.first(), k.outputs(), recomputeLayers));
        recomputedOps += plan.recomputed;
        Call call = new Call(plan, feeds, firstOutputs, outputs);
        try {
            call.execute(plan.first);
            Map<String, INDArray> firsts = new LinkedHashMap<>();
            for (String name : firstOutputs) firsts.put(name, call.values.get(name));
            Map<String, INDArray> late = between.feeds(Collections.unmodifiableMap(firsts));
            if (!late.keySet().equals(Set.copyOf(lateFeeds))) {
                throw new IllegalArgumentException("expected late feeds " + lateFeeds + ", got " + late.keySet());
            }
            call.feed(late);
            for (String name : firstOutputs) {
                if (outputs.contains(name)) continue;
                call.keep.remove(name);
                call.dropIfDone(name);
            }
            call.execute(plan.second);
            Map<String, INDArray> out = new LinkedHashMap<>();
            for (String name : outputs) {
                INDArray a = call.values.get(name);
                out.put(name, a);
                call.mine.remove(a);      // handed over
            }
            return out;
        } finally {
            call.releaseAll();
        }
    }

    /** Gives an output array back for reuse by later calls; the caller must not touch it again. */
    public void recycle(INDArray array) {
        pool.release(array);
    }

    /** Bytes held for reuse (for benchmarks and tests). */
    public long pooledBytes() {
        return pool.pooledBytes();
    }

    /** The most bytes of executor-allocated arrays alive at once since the last call of this method. */
    public long takePeakLiveBytes() {
        return pool.takePeakLiveBytes();
    }

    /** How many forward ops the calls so far have re-run for gradient checkpointing (0 without it). */
    public long recomputedOps() {
        return recomputedOps;
    }

    /** Frees the pooled buffers now. The executor stays usable. */
    @Override
    public void close() {
        pool.close();
    }

    /** The state of one call: values by name, and which of them the executor allocated. */
    private final class Call {
        final ExecutionPlan plan;
        final Map<String, INDArray> values;
        final Map<String, Integer> unread;
        final Map<String, long[]> shapes = new HashMap<>();
        final Set<String> keep = new java.util.HashSet<>();
        final Set<INDArray> mine = Collections.newSetFromMap(new IdentityHashMap<>());
        final Set<INDArray> fed = Collections.newSetFromMap(new IdentityHashMap<>());

        Call(ExecutionPlan plan, Map<String, INDArray> feeds, List<String> firstOutputs, List<String> outputs) {
            this.plan = plan;
            this.values = new HashMap<>();
            this.unread = new HashMap<>(plan.reads);
            keep.addAll(firstOutputs);
            keep.addAll(outputs);
            feed(feeds);
        }

        void feed(Map<String, INDArray> arrays) {
            values.putAll(arrays);
            fed.addAll(arrays.values());
        }

        void execute(List<ExecutionPlan.Step> steps) {
            for (ExecutionPlan.Step step : steps) {
                SameDiffOp op = step.op();
                List<String> ins = step.ins(), outs = step.outs();
                boolean shapeOnly = ShapeOnlyOps.handles(op);
                INDArray[] args = new INDArray[ins.size()];
                long[][] argShapes = new long[ins.size()][];
                for (int i = 0; i < args.length; i++) {
                    if (shapeOnly && ShapeOnlyOps.shapeOnly(op, i)) argShapes[i] = shape(ins.get(i), op);
                    else args[i] = input(ins.get(i), op);
                }
                long t0 = OpProfile.ENABLED ? System.nanoTime() : 0;
                INDArray[] results;
                if (op.getOp() instanceof ExternalErrorsFunction fn) {
                    results = new INDArray[]{input(fn.getGradPlaceholderName(), op)};
                } else if (shapeOnly) {
                    boolean[] needed = new boolean[outs.size()];
                    for (int i = 0; i < needed.length; i++) needed[i] = plan.needed(outs.get(i), keep);
                    String g = ins.size() == 3 ? ins.get(2) : null;
                    boolean gFree = g != null && !keep.contains(g) && !plan.sources.contains(g) && unread.getOrDefault(g, 0) == 1
                            && mine.contains(args[2]) && !g.equals(ins.get(0)) && !g.equals(ins.get(1));
                    results = ShapeOnlyOps.run(sd, op, argShapes, args, needed, gFree, pool);
                    for (INDArray r : results) {
                        if (gFree && r == args[2]) {  // g moved to an output: its old name no longer owns it
                            values.remove(g);
                            unread.put(g, 0);
                        }
                    }
                } else {
                    boolean[] needed = new boolean[outs.size()];
                    for (int i = 0; i < needed.length; i++) needed[i] = plan.needed(outs.get(i), keep);
                    results = calls.computeIfAbsent(op.getName(), n -> new OpCall(sd, op)).run(args, needed, pool);
                }
                if (OpProfile.ENABLED) OpProfile.add(op.getOp().opName(), System.nanoTime() - t0);
                for (int i = 0; i < outs.size(); i++) {
                    INDArray r = results[i];
                    if (r == null) continue;                              // an output nothing reads
                    if (shapeOnly && args.length == 3 && r == args[2]) {
                        // moved (see above): stays in mine under its new name
                    } else if (ArrayPool.owned(r) && !fed.contains(r) && !aliasesAny(r, args)) mine.add(r);
                    else for (INDArray a : args) if (a != null && a.data() == r.data()) mine.remove(a); // a view: pin its base
                    values.put(outs.get(i), r);
                    shapes.put(outs.get(i), r.shape());
                    dropIfDone(outs.get(i));
                }
                for (int i = 0; i < ins.size(); i++) {
                    String in = ins.get(i);
                    if (plan.sources.contains(in) || (shapeOnly && ShapeOnlyOps.shapeOnly(op, i))) continue;
                    if (unread.merge(in, -1, Integer::sum) < 0) unread.put(in, 0);   // a moved value was already settled
                    dropIfDone(in);
                }
            }
        }

        /** The shape of a value, also after the value itself was freed. */
        private long[] shape(String name, SameDiffOp op) {
            long[] s = shapes.get(name);
            return s != null ? s : input(name, op).shape();
        }

        private INDArray input(String name, SameDiffOp op) {
            INDArray a = values.get(name);
            if (a == null) a = sd.getArrForVarName(name);
            if (a == null) throw new IllegalStateException("no value for '" + name + "', input of op '" + op.getName() + "'");
            return a;
        }

        private boolean aliasesAny(INDArray r, INDArray[] args) {
            for (INDArray a : args) if (a != null && a.data() == r.data()) return true;
            return false;
        }

        /** Returns a computed value to the pool once no planned op reads it and it is not an output. */
        void dropIfDone(String name) {
            if (keep.contains(name) || plan.sources.contains(name) || unread.getOrDefault(name, 0) > 0) return;
            INDArray a = values.remove(name);
            if (a != null && mine.remove(a)) pool.release(a);
        }

        void releaseAll() {
            for (INDArray a : mine) pool.release(a);
            mine.clear();
        }
    }
}

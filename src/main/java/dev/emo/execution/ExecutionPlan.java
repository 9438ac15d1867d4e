package dev.emo.execution;

import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.autodiff.samediff.internal.Variable;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Which ops of a SameDiff graph one call runs, in which order, and how often each computed
 * variable is read — worked out once per (fed names, outputs), not per call as SameDiff's session
 * does. Two stages: the ops the first outputs need (e.g. the logits), then the rest (e.g. the
 * backward pass, which also reads {@code lateFeeds} supplied between the stages).
 *
 * <p>Order: a topological sort that prefers the graph's own op order (SameDiff adds backward ops
 * from the loss towards the inputs, which frees activations early).
 *
 * <p>With {@code recomputeLayers} a two-stage plan re-runs each layer's forward ops in the second
 * stage instead of keeping their activations ({@link Recomputation}); other plans are unchanged.
 */
final class ExecutionPlan {
    /**
     * One op run: its inputs and outputs by the names this plan reads and writes them under
     * (the op's own, except for values a layer re-run writes; see {@link Recomputation}).
     */
    record Step(SameDiffOp op, List<String> ins, List<String> outs, boolean rerun) {
        static Step of(SameDiffOp op) {
            return new Step(op, inputs(op), op.getOutputsOfOp(), false);
        }
    }

    final List<Step> first;                // ops the first-stage outputs need
    final List<Step> second;               // every other op the outputs need (and the layer re-runs)
    final Map<String, Integer> reads;      // computed value → value reads by planned steps (repeats count)
    final Set<String> shapeReads;          // computed values some step reads for the shape only (so they must be computed)
    final Set<String> sources;             // fed, variable and constant names: never freed
    final int recomputed;                  // steps of the second stage that re-run a forward op

    ExecutionPlan(SameDiff sd, Collection<String> fed, Collection<String> lateFeeds,
                  Collection<String> firstOutputs, Collection<String> outputs) {
        this(sd, fed, lateFeeds, firstOutputs, outputs, false);
    }

    ExecutionPlan(SameDiff sd, Collection<String> fed, Collection<String> lateFeeds,
                  Collection<String> firstOutputs, Collection<String> outputs, boolean recomputeLayers) {
        Set<String> known = new HashSet<>(fed);
        known.addAll(lateFeeds);
        Set<String> firstOps = ancestors(sd, firstOutputs, new HashSet<>(fed));
        Set<String> all = ancestors(sd, outputs, known);
        all.addAll(firstOps);
        List<SameDiffOp> order = topological(sd, all, known);
        List<SameDiffOp> forward = new ArrayList<>(), backward = new ArrayList<>();
        for (SameDiffOp op : order) (firstOps.contains(op.getName()) ? forward : backward).add(op);
        first = forward.stream().map(Step::of).toList();
        if (recomputeLayers && !forward.isEmpty() && !lateFeeds.isEmpty()) {
            Set<String> keep = new HashSet<>(firstOutputs);
            keep.addAll(outputs);
            second = Recomputation.insert(sd, forward, backward, keep);
        } else {
            second = backward.stream().map(Step::of).toList();
        }
        recomputed = (int) second.stream().filter(Step::rerun).count();
        sources = new HashSet<>(known);
        for (SameDiffOp op : order) for (String in : inputs(op)) if (isSource(sd, in, known)) sources.add(in);
        reads = new HashMap<>();
        shapeReads = new HashSet<>();
        for (List<Step> stage : List.of(first, second)) {
            for (Step step : stage) {
                for (int i = 0; i < step.ins().size(); i++) {
                    String in = step.ins().get(i);
                    if (sources.contains(in)) continue;
                    if (ShapeOnlyOps.shapeOnly(step.op(), i)) shapeReads.add(in);
                    else reads.merge(in, 1, Integer::sum);
                }
            }
        }
    }

    /**
     * Whether a step's output must be computed: kept, or read (for its value or its shape). A host op
     * may skip the others; with checkpointing that includes a forward value only the backward reads,
     * which the layer's re-run computes again under its renamed name.
     */
    boolean needed(String output, Set<String> keep) {
        return keep.contains(output) || reads.containsKey(output) || shapeReads.contains(output);
    }

    static List<String> inputs(SameDiffOp op) {
        List<String> in = op.getInputsToOp();
        return in == null ? List.of() : in;
    }

    private static boolean isSource(SameDiff sd, String var, Set<String> known) {
        if (known.contains(var)) return true;
        VariableType t = variable(sd, var).getVariable().getVariableType();
        return t == VariableType.VARIABLE || t == VariableType.CONSTANT;
    }

    private static Variable variable(SameDiff sd, String name) {
        Variable v = sd.getVariables().get(name);
        if (v == null) throw new IllegalArgumentException("no variable '" + name + "' in the graph");
        return v;
    }

    /** The ops needed to compute {@code targets} from {@code known} values, variables and constants. */
    private static Set<String> ancestors(SameDiff sd, Collection<String> targets, Set<String> known) {
        Set<String> ops = new LinkedHashSet<>();
        ArrayDeque<String> todo = new ArrayDeque<>(targets);
        Set<String> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            String var = todo.pop();
            if (!seen.add(var) || isSource(sd, var, known)) continue;
            Variable v = variable(sd, var);
            if (v.getVariable().getVariableType() == VariableType.PLACEHOLDER) {
                throw new IllegalArgumentException("placeholder '" + var + "' is needed but was not fed");
            }
            String op = v.getOutputOfOp();
            if (op == null) throw new IllegalArgumentException("variable '" + var + "' is computed by no op");
            if (ops.add(op)) todo.addAll(inputs(sd.getOps().get(op)));
        }
        return ops;
    }

    private static List<SameDiffOp> topological(SameDiff sd, Set<String> ops, Set<String> known) {
        Map<String, Integer> rank = new HashMap<>();
        int i = 0;
        for (String name : sd.getOps().keySet()) rank.put(name, i++);
        Map<String, Integer> pending = new HashMap<>();
        Map<String, List<String>> consumers = new HashMap<>();
        for (String name : ops) {
            Set<String> producers = new HashSet<>();
            for (String in : inputs(sd.getOps().get(name))) {
                if (known.contains(in)) continue;
                String p = sd.getVariables().get(in).getOutputOfOp();
                if (p != null && ops.contains(p)) producers.add(p);
            }
            pending.put(name, producers.size());
            for (String p : producers) consumers.computeIfAbsent(p, k -> new ArrayList<>()).add(name);
        }
        PriorityQueue<String> ready = new PriorityQueue<>((a, b) -> Integer.compare(rank.get(a), rank.get(b)));
        pending.forEach((name, n) -> {
            if (n == 0) ready.add(name);
        });
        List<SameDiffOp> out = new ArrayList<>(ops.size());
        while (!ready.isEmpty()) {
            String name = ready.poll();
            out.add(sd.getOps().get(name));
            for (String c : consumers.getOrDefault(name, List.of())) {
                if (pending.merge(c, -1, Integer::sum) == 0) ready.add(c);
            }
        }
        if (out.size() != ops.size()) throw new IllegalStateException("the graph has a cycle among " + ops.size() + " ops");
        return out;
    }
}

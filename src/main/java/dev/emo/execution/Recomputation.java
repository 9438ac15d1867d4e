package dev.emo.execution;

import dev.emo.execution.ExecutionPlan.Step;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Gradient checkpointing for a two-stage plan: the backward stage gets its layer activations by
 * re-running the layer's forward ops instead of keeping them from the forward stage.
 *
 * <p>Each forward op has a layer ({@link LayerGroups}). A forward value is <em>recomputed</em> when
 * its op is in a layer and nothing outside that layer reads it (the value is no layer's input, no
 * output); the others (layer inputs, embeddings, masks, the tail) are kept as before. The
 * backward stage's reads of a recomputed value v are renamed to {@code v + SUFFIX}; so the forward
 * stage's last reader of v frees it (the plan counts reads by name), and just before the first
 * backward op that reads any recomputed value of layer L, the forward ops of layer L that those
 * values need are inserted again, in forward order, writing the renamed values; their last backward
 * reader frees them in turn. Live memory is then the kept values plus about one layer's activations,
 * for one more forward pass of the layers. The re-run ops are the same ops on the same inputs (the
 * LoRA dropout masks are fed; an op that draws random numbers is never re-run, its outputs are
 * kept), so the gradients are bitwise the stored-activation run's.
 *
 * <p>Shape-only reads ({@link ShapeOnlyOps}) keep the original name: the executor records shapes
 * of freed values, so they need no re-run.
 */
final class Recomputation {
    static final String SUFFIX = "@recomputed";

    private Recomputation() {}

    /**
     * @param forward  the first stage's ops in order
     * @param backward the second stage's ops in order
     * @param keep     names that must stay (first outputs, outputs): never recomputed
     * @return the second stage with the re-runs inserted and the reads renamed; its steps that re-run a forward op are counted in {@link ExecutionPlan#recomputed}
     */
    static List<Step> insert(SameDiff sd, List<SameDiffOp> forward, List<SameDiffOp> backward, Set<String> keep) {
        int[] group = LayerGroups.of(sd, forward);
        Map<String, Integer> producer = new HashMap<>();
        for (int i = 0; i < forward.size(); i++) for (String out : forward.get(i).getOutputsOfOp()) producer.put(out, i);
        Set<String> boundary = new HashSet<>(keep);                // layer values read outside their layer
        for (int i = 0; i < forward.size(); i++) {
            for (String in : ExecutionPlan.inputs(forward.get(i))) {
                Integer p = producer.get(in);
                if (p != null && group[p] != group[i]) boundary.add(in);
            }
            if (random(forward.get(i))) boundary.addAll(forward.get(i).getOutputsOfOp());   // a re-run would draw other numbers
        }
        Set<String> recomputed = new HashSet<>();
        producer.forEach((v, p) -> {
            if (group[p] != LayerGroups.NONE && !boundary.contains(v)) recomputed.add(v);
        });

        // per layer: the forward ops to re-run (indices, so in forward order), closed over their inputs
        Map<Integer, TreeSet<Integer>> rerun = new HashMap<>();
        for (SameDiffOp op : backward) {
            List<String> ins = ExecutionPlan.inputs(op);
            for (int i = 0; i < ins.size(); i++) {
                if (ShapeOnlyOps.shapeOnly(op, i) || !recomputed.contains(ins.get(i))) continue;
                int p = producer.get(ins.get(i));
                addWithInputs(forward, producer, recomputed, rerun.computeIfAbsent(group[p], g -> new TreeSet<>()), p);
            }
        }

        List<Step> steps = new ArrayList<>();
        Set<Integer> done = new HashSet<>();
        for (SameDiffOp op : backward) {
            List<String> ins = ExecutionPlan.inputs(op);
            List<String> renamed = new ArrayList<>(ins);
            for (int i = 0; i < ins.size(); i++) {
                if (ShapeOnlyOps.shapeOnly(op, i) || !recomputed.contains(ins.get(i))) continue;
                int layer = group[producer.get(ins.get(i))];
                if (done.add(layer)) {
                    for (int f : rerun.get(layer)) steps.add(rerunStep(sd, forward.get(f), recomputed));
                }
                renamed.set(i, ins.get(i) + SUFFIX);
            }
            steps.add(new Step(op, renamed, op.getOutputsOfOp(), false));
        }
        return steps;
    }

    /** An op that draws random numbers (none in the model graphs today: LoRA's dropout masks are fed). */
    private static boolean random(SameDiffOp op) {
        return op.getOp() instanceof org.nd4j.linalg.api.ops.RandomOp || op.getOp().getClass().getPackageName().contains(".ops.random");
    }

    /** Adds forward op {@code f} and, recursively, the producers of its recomputed inputs. */
    private static void addWithInputs(List<SameDiffOp> forward, Map<String, Integer> producer, Set<String> recomputed,
                                      Set<Integer> ops, int f) {
        if (!ops.add(f)) return;
        for (String in : ExecutionPlan.inputs(forward.get(f))) {
            if (recomputed.contains(in)) addWithInputs(forward, producer, recomputed, ops, producer.get(in));
        }
    }

    /** A forward op again: recomputed inputs and every output under their renamed names. */
    private static Step rerunStep(SameDiff sd, SameDiffOp op, Set<String> recomputed) {
        List<String> ins = new ArrayList<>();
        for (String in : ExecutionPlan.inputs(op)) ins.add(recomputed.contains(in) ? in + SUFFIX : in);
        List<String> outs = new ArrayList<>();
        for (String out : op.getOutputsOfOp()) {
            if (sd.getVariables().containsKey(out + SUFFIX)) throw new IllegalStateException("the graph already has a variable '" + out + SUFFIX + "'");
            outs.add(out + SUFFIX);
        }
        return new Step(op, ins, outs, true);
    }
}

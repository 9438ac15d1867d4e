package dev.emo.execution;

import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.autodiff.samediff.internal.Variable;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which transformer layer each forward op belongs to, read from the names of the graph's
 * parameters, constants and placeholders alone: {@code transformer.h.N.…} (GPT-2),
 * {@code model.decoder.layers.N.…} (OPT), {@code model.layers.N.…} (LLaMA-style), the LoRA adapters
 * and dropout masks under the same module names. No op or activation name is relied on, and a layer
 * need not read any such variable from every op (a frozen weight held by a host op is no variable).
 *
 * <p>Each op gets two layer numbers:
 * <ul>
 * <li>after = the largest layer among its inputs (a named input gives its N, a computed one its
 *     producer's after, anything else −1): the last layer whose parameters it depends on;</li>
 * <li>before = the smallest layer among its own named inputs and its readers' before (∞ without):
 *     the first layer whose parameters depend on it.</li>
 * </ul>
 * after == before (or before &lt; after): inside layer {@code after}. after = −1: shared, computed
 * from the inputs only (embeddings, attention bias, rope tables, layer 0's input norm) — never
 * recomputed. before = ∞: the tail, what follows the last layer's last parameter (its residual
 * add, the final norm, the head) — never recomputed.
 * Otherwise the op lies between layer {@code after} and layer {@code before}: the residual add that
 * ends a layer, and the statistics of the next layer's decomposed RMSNorm (LLaMA's
 * x·x → mean → +ε → √ → x/√ before the multiply by its weight). Those in-between ops are cut at one
 * value, the layer's output (the value every reader in the next layers depends on, latest first):
 * it and its ancestors stay in the earlier layer, the rest join the later one. So the value kept
 * between the layers is the residual stream, as in Hugging Face's checkpointing of each decoder
 * layer's input.
 */
final class LayerGroups {
    static final int NONE = -1;                                  // shared or tail: never recomputed
    private static final int INF = Integer.MAX_VALUE;
    private static final Pattern LAYER = Pattern.compile("(?:^|\\.)(?:layers|h)\\.(\\d+)\\.");

    private LayerGroups() {}

    /** The layer index in a variable's name, or −1. */
    static int layerOf(String name) {
        Matcher m = LAYER.matcher(name);
        return m.find() ? Integer.parseInt(m.group(1)) : NONE;
    }

    /**
     * @param forward the forward ops in execution order
     * @return each forward op's group: a layer index, or {@link #NONE}
     */
    static int[] of(SameDiff sd, List<SameDiffOp> forward) {
        int n = forward.size();
        Map<String, Integer> producer = new HashMap<>();          // computed value → index in forward
        for (int i = 0; i < n; i++) for (String out : forward.get(i).getOutputsOfOp()) producer.put(out, i);
        List<List<Integer>> readers = new ArrayList<>();
        for (int i = 0; i < n; i++) readers.add(new ArrayList<>());
        int[] after = new int[n], before = new int[n];
        for (int i = 0; i < n; i++) {
            after[i] = NONE;
            before[i] = INF;
            for (String in : ExecutionPlan.inputs(forward.get(i))) {
                Integer p = producer.get(in);
                if (p != null) {
                    after[i] = Math.max(after[i], after[p]);
                    readers.get(p).add(i);
                } else if (named(sd, in)) {
                    int layer = layerOf(in);
                    after[i] = Math.max(after[i], layer);
                    if (layer != NONE) before[i] = Math.min(before[i], layer);
                }
            }
        }
        for (int i = n - 1; i >= 0; i--) for (int r : readers.get(i)) before[i] = Math.min(before[i], before[r]);

        int[] group = new int[n];
        for (int i = 0; i < n; i++) {
            boolean between = after[i] != NONE && before[i] != INF && before[i] > after[i];
            group[i] = after[i] == NONE || before[i] == INF ? NONE : between ? -2 - after[i] : after[i];   // −2−L: to be cut
        }
        cut(forward, producer, group, before, readers);
        return group;
    }

    /** A source the graph does not compute: parameter, constant or placeholder (only those carry layer names). */
    private static boolean named(SameDiff sd, String name) {
        Variable v = sd.getVariables().get(name);
        if (v == null) return false;
        VariableType t = v.getVariable().getVariableType();
        return t == VariableType.VARIABLE || t == VariableType.CONSTANT || t == VariableType.PLACEHOLDER;
    }

    /**
     * Settles the in-between ops after each layer L (marked −2−L): the cut is the latest of them that
     * is an ancestor-or-self of every other op reading one of them; the cut and its ancestors join
     * layer L, the others the layer of their first dependent parameters ({@code before}). Without
     * such a cut they all stay in layer L (correct as well; only more is kept between the layers).
     */
    private static void cut(List<SameDiffOp> forward, Map<String, Integer> producer, int[] group, int[] before,
                            List<List<Integer>> readers) {
        Map<Integer, List<Integer>> byLayer = new HashMap<>();
        for (int i = 0; i < group.length; i++) if (group[i] <= -2) byLayer.computeIfAbsent(-2 - group[i], k -> new ArrayList<>()).add(i);
        byLayer.forEach((layer, ops) -> {
            Map<Integer, BitSet> upstream = new HashMap<>();     // op → its in-between ancestors-or-self (forward indices)
            for (int op : ops) {                                  // forward order: inputs first
                BitSet up = upstreamOf(forward.get(op), producer, upstream);
                up.set(op);
                upstream.put(op, up);
            }
            BitSet common = null;                                 // in-between ops upstream of every other reader
            for (int op : ops) {
                for (int r : readers.get(op)) {
                    if (upstream.containsKey(r)) continue;
                    BitSet up = upstreamOf(forward.get(r), producer, upstream);
                    if (common == null) common = up;
                    else common.and(up);
                }
            }
            BitSet kept = common == null || common.isEmpty() ? null : upstream.get(common.length() - 1);
            for (int op : ops) group[op] = kept == null || kept.get(op) ? layer : before[op];
        });
    }

    /** The union of the in-between ancestor sets of the op's inputs (those in {@code upstream}). */
    private static BitSet upstreamOf(SameDiffOp op, Map<String, Integer> producer, Map<Integer, BitSet> upstream) {
        BitSet up = new BitSet();
        for (String in : ExecutionPlan.inputs(op)) {
            Integer p = producer.get(in);
            if (p != null && upstream.containsKey(p)) up.or(upstream.get(p));
        }
        return up;
    }
}

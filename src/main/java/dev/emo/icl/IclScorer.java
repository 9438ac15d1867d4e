package dev.emo.icl;

import dev.emo.UserError;
import dev.emo.evaluation.SequenceScorer;
import dev.emo.evaluation.SharedPrefixScorer;
import dev.emo.models.CausalLM;
import dev.emo.tokenizers.Tokenizer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;

/**
 * OpenICL's PPLInferencer: for each candidate label, the whole prompt (demonstrations + input +
 * verbaliser) is scored by its summed token cross-entropy divided by its token count (OpenICL divides
 * by the non-pad tokens, BOS included, one more than the predicted tokens); the prediction is the
 * label with the lowest score, ties to the lower label.
 *
 * <p>Context: a prompt must fit the model's positions for every label. Demonstrations are dropped
 * from the least similar end (the one next to the input) until it does; if even none fit, the input
 * keeps only as many leading words as fit.
 */
public final class IclScorer {
    private static final Logger LOG = LogManager.getLogger(IclScorer.class);

    private final CausalLM model;
    private final Tokenizer tokenizer;
    private final int batchSize;

    public IclScorer(CausalLM model, Tokenizer tokenizer, int batchSize) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.batchSize = batchSize;
    }

    /** Accuracy counts of one task, with how much context fitting cut. */
    public record Result(String task, int n, int correct, double meanDemos, int truncatedInputs, double seconds) {
        public double accuracy() {
            return n == 0 ? Double.NaN : (double) correct / n;
        }
    }

    /** A fitted item: the token ids of each label's prompt, and how many demonstrations it kept. */
    public record Prompts(int[][] ids, int demos, boolean truncated) {}

    public Result evaluate(String task, List<Tasks.Item> items) {
        long t0 = System.nanoTime(), lastLog = t0;
        int correct = 0, truncated = 0;
        long demos = 0;
        int chunk = 8 * batchSize; // items scored together, so batches can group similar lengths
        for (int start = 0; start < items.size(); start += chunk) {
            List<Tasks.Item> part = items.subList(start, Math.min(items.size(), start + chunk));
            List<Prompts> prompts = part.stream().map(this::fit).toList();
            int[] predicted = predict(prompts);
            for (int i = 0; i < part.size(); i++) {
                if (predicted[i] == part.get(i).query().label()) correct++;
                demos += prompts.get(i).demos();
                if (prompts.get(i).truncated()) truncated++;
            }
            if (System.nanoTime() - lastLog > 30e9) {
                lastLog = System.nanoTime();
                LOG.info("{}: {}/{} items", task, start + part.size(), items.size());
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        return new Result(task, items.size(), correct, items.isEmpty() ? 0 : (double) demos / items.size(), truncated, secs);
    }

    /** The label with the lowest score for each fitted item (ties: the lower label). */
    public int[] predict(List<Prompts> items) {
        double[][] scores = scores(items);
        int[] out = new int[items.size()];
        for (int i = 0; i < out.length; i++) {
            for (int label = 1; label < scores[i].length; label++) if (scores[i][label] < scores[i][out[i]]) out[i] = label;
        }
        return out;
    }

    /**
     * [item][label] scores. With a KV-cache graph the prompt the labels share is run once per item
     * and only each label's own tokens after it ({@link SharedPrefixScorer}); otherwise every label's
     * prompt is scored whole, all in batches.
     */
    public double[][] scores(List<Prompts> items) {
        List<int[]> sequences = new ArrayList<>();
        for (Prompts p : items) sequences.addAll(Arrays.asList(p.ids()));
        double[][] nll = model.hasKvCache()
                ? SharedPrefixScorer.tokenNll(model, items.stream().map(Prompts::ids).toList(), batchSize)
                : SequenceScorer.tokenNll(model, sequences, batchSize);
        double[][] out = new double[items.size()][];
        int s = 0;
        for (int i = 0; i < out.length; i++) {
            out[i] = new double[items.get(i).ids().length];
            for (int label = 0; label < out[i].length; label++, s++) out[i][label] = score(nll[s], sequences.get(s).length);
        }
        return out;
    }

    /** OpenICL's score: summed NLL of the predicted tokens over the prompt's token count. */
    public static double score(double[] tokenNll, int tokens) {
        return Arrays.stream(tokenNll).sum() / tokens;
    }

    /** Each label's prompt, tokenised, with as many demonstrations (then input words) as fit. */
    public Prompts fit(Tasks.Item item) {
        Template t = item.template();
        List<Example> demos = item.demos();
        String input = item.query().text();
        Prompts full = largestFitting(demos.size(), d -> encode(t, demos.subList(0, d), input), false);
        if (full != null) return full;
        String[] words = input.split(" ");
        Prompts cut = largestFitting(words.length - 1, w -> encode(t, List.of(), String.join(" ", Arrays.asList(words).subList(0, w))), true);
        if (cut == null) {
            throw UserError.of(model.config().file(), "its " + model.config().maxPositions() + " positions cannot hold the bare template "
                    + "of a " + t.numLabels() + "-label task", "use a model with a longer context");
        }
        return cut;
    }

    private int[][] encode(Template t, List<Example> demos, String input) {
        int[][] ids = new int[t.numLabels()][];
        for (int label = 0; label < ids.length; label++) ids[label] = tokenizer.encode(t.prompt(demos, input, label));
        return ids;
    }

    /**
     * The prompts for the largest k in 0..max that fit (k demonstrations, or k input words when
     * {@code words}), or null. Token counts grow with k: try max, then binary search.
     */
    private Prompts largestFitting(int max, IntFunction<int[][]> prompts, boolean words) {
        int[][] ids = prompts.apply(max);
        if (fits(ids)) return new Prompts(ids, words ? 0 : max, words);
        int lo = -1, hi = max; // invariant: lo fits (or is −1), hi does not
        int[][] best = null;
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            ids = prompts.apply(mid);
            if (fits(ids)) {
                lo = mid;
                best = ids;
            } else {
                hi = mid;
            }
        }
        return best == null ? null : new Prompts(best, words ? 0 : lo, words);
    }

    private boolean fits(int[][] ids) {
        for (int[] s : ids) if (s.length > model.config().maxPositions()) return false;
        return true;
    }
}

package dev.emo.generation;

import dev.emo.models.CausalLM;
import dev.emo.models.KvCache;
import dev.emo.util.LogSumExp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Batched token-by-token decoding. Prompts are left-padded into one batch; with a KV-cache graph
 * ({@link CausalLM#hasKvCache}) the prompt is run once and each later step feeds one token per row
 * against the cached keys/values; without one, every step re-runs the whole sequence (the reference
 * path, kept for tests and for graphs built without a cache).
 *
 * <p>Row i of a call draws from its own {@code Random(seed, i)}, so a continuation does not depend
 * on the batch size or on the other prompts in the batch — unless the batch's longest prompt plus
 * the new tokens would pass the model's positions: then the whole batch stops there.
 */
public final class Generator {
    private final CausalLM model;

    public Generator(CausalLM model) {
        this.model = model;
    }

    /** Generated ids (prompt excluded, up to and including the stop id drawn) and each one's log-probability under the unmodified softmax. */
    public record Output(int[] ids, double[] logProbs) {}

    /**
     * maxNewTokens per prompt; a row ends at any of stopIds (none: empty), as Hugging Face's list-valued
     * eos_token_id; batchSize rows decoded together; no stop id can be drawn before minNewTokens
     * (Hugging Face's min_new_tokens).
     */
    public record Options(int maxNewTokens, Sampling sampling, long seed, int[] stopIds, int batchSize, int minNewTokens) {
        public Options {
            if (maxNewTokens < 0) throw new IllegalArgumentException("max new tokens must be ≥ 0, got " + maxNewTokens);
            if (batchSize < 1) throw new IllegalArgumentException("batch size must be ≥ 1, got " + batchSize);
            stopIds = java.util.Arrays.stream(stopIds).filter(id -> id >= 0).toArray();   // −1: none
        }

        /** One stop id, −1 for none. */
        public Options(int maxNewTokens, Sampling sampling, long seed, int stopId, int batchSize, int minNewTokens) {
            this(maxNewTokens, sampling, seed, new int[]{stopId}, batchSize, minNewTokens);
        }

        public Options(int maxNewTokens, Sampling sampling, long seed, int stopId, int batchSize) {
            this(maxNewTokens, sampling, seed, stopId, batchSize, 0);
        }

        boolean stops(int id) {
            for (int s : stopIds) if (s == id) return true;
            return false;
        }
    }

    /** One prompt; see {@link #generate(List, Options)}. */
    public Output generate(int[] prompt, int maxNewTokens, Sampling sampling, long seed, int stopId) {
        return generate(List.of(prompt), new Options(maxNewTokens, sampling, seed, stopId, 1)).get(0);
    }

    /** Continuations of every prompt, in order. A prompt must hold at least one token. */
    public List<Output> generate(List<int[]> prompts, Options o) {
        return generate(prompts, o, 0);
    }

    /**
     * As {@link #generate(List, Options)}, with prompt i drawing from row {@code firstRow + i}'s
     * stream: a long job done in pieces (sample's resumable files) draws what one call would.
     */
    public List<Output> generate(List<int[]> prompts, Options o, long firstRow) {
        List<Output> out = new ArrayList<>(prompts.size());
        for (int start = 0; start < prompts.size(); start += o.batchSize()) {
            int end = Math.min(prompts.size(), start + o.batchSize());
            Random[] rngs = new Random[end - start];
            for (int i = start; i < end; i++) rngs[i - start] = rowRandom(o.seed(), firstRow + i);
            out.addAll(generateBatch(prompts.subList(start, end), rngs, o));
        }
        return out;
    }

    /** A per-row stream, decorrelated from neighbouring rows and seeds by a SplitMix64 step. */
    static Random rowRandom(long seed, long row) {
        long z = seed * 0x9E3779B97F4A7C15L + row + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return new Random(z ^ (z >>> 31));
    }

    private List<Output> generateBatch(List<int[]> prompts, Random[] rngs, Options o) {
        int b = prompts.size();
        int longest = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
        if (prompts.stream().anyMatch(p -> p.length == 0)) throw new IllegalArgumentException("empty prompt: give at least a BOS token");
        int steps = Math.max(0, Math.min(o.maxNewTokens(), model.config().maxPositions() - longest));
        int total = longest + steps;
        long[] ids = new long[b * total];     // [B, total], prompts right-aligned
        long[] mask = new long[b * total];
        for (int r = 0; r < b; r++) {
            int[] p = prompts.get(r);
            for (int j = 0; j < p.length; j++) {
                ids[r * total + longest - p.length + j] = p[j];
                mask[r * total + longest - p.length + j] = 1;
            }
            for (int j = longest; j < total; j++) mask[r * total + j] = 1;
        }
        int[][] newIds = new int[b][steps];
        double[][] logProbs = new double[b][steps];
        int[] produced = new int[b];
        boolean[] done = new boolean[b];
        KvCache cache = model.hasKvCache() ? model.emptyCache(b) : null;
        for (int n = 0; n < steps; n++) {
            int len = longest + n;
            INDArray last;                     // [B, V]
            if (cache != null) {
                int fed = (int) cache.length();   // tokens of the sequence the cache already holds
                KvCache.Step step = model.forwardCachedLast(slice(ids, b, total, fed, len), slice(mask, b, total, 0, len), cache);
                cache.close();
                cache = step.cache();
                last = lastPosition(step.logits());
            } else {
                last = lastPosition(model.forwardForGeneration(slice(ids, b, total, 0, len), slice(mask, b, total, 0, len)));
            }
            boolean allDone = true;
            for (int r = 0; r < b; r++) {
                if (done[r]) {                 // keeps feeding the stop id; its row is ignored
                    ids[r * total + len] = o.stopIds().length > 0 ? o.stopIds()[0] : 0;
                    continue;
                }
                double[] row = last.getRow(r).castTo(DataType.DOUBLE).toDoubleVector();
                double[] allowed = row;
                if (o.stopIds().length > 0 && produced[r] < o.minNewTokens()) {
                    allowed = row.clone();
                    for (int stop : o.stopIds()) if (stop < allowed.length) allowed[stop] = Double.NEGATIVE_INFINITY;
                }
                int next = o.sampling().pick(allowed, rngs[r]);
                ids[r * total + len] = next;
                newIds[r][produced[r]] = next;
                logProbs[r][produced[r]++] = logSoftmaxAt(row, next);
                done[r] = o.stops(next);
                allDone &= done[r];
            }
            last.close();
            if (allDone) break;
        }
        if (cache != null) cache.close();
        List<Output> out = new ArrayList<>(b);
        for (int r = 0; r < b; r++) {
            out.add(new Output(Arrays.copyOf(newIds[r], produced[r]), Arrays.copyOf(logProbs[r], produced[r])));
        }
        return out;
    }

    /** Columns [from, to) of a row-major [B, total] array, as int64 [B, to − from]. */
    private static INDArray slice(long[] a, int b, int total, int from, int to) {
        long[] s = new long[b * (to - from)];
        for (int r = 0; r < b; r++) System.arraycopy(a, r * total + from, s, r * (to - from), to - from);
        return Nd4j.createFromArray(s).reshape(b, to - from);
    }

    /** [B, T, V] → the last position's logits [B, V] (a copy; the input is closed). */
    private static INDArray lastPosition(INDArray logits) {
        INDArray last = logits.get(NDArrayIndex.all(), NDArrayIndex.point(logits.size(1) - 1), NDArrayIndex.all()).dup('c');
        if (logits.closeable()) logits.close();
        return last;
    }

    static double logSoftmaxAt(double[] row, int index) {
        return row[index] - LogSumExp.of(row, 0, row.length);
    }
}

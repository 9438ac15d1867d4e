package dev.emo.evaluation;

import dev.emo.data.Blocks;
import dev.emo.models.CausalLM;
import dev.emo.tokenizers.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Perplexity as exp of the token-weighted mean negative log-likelihood. {@link #blocks} groups a
 * test file's documents into blocks as run_clm does (so the first token of each block is context
 * only); {@link #ofTexts} scores each text on its own (oracle perplexity of generations).
 */
public final class Perplexity {
    private Perplexity() {}

    public record Result(double perplexity, double meanNll, long tokens) {}

    /** The documents tokenized, concatenated and cut into blocks (empty if shorter than one block). */
    public static List<int[]> blocks(CausalLM model, Tokenizer tokenizer, List<String> documents, int blockSize) {
        List<int[]> docs = documents.stream().map(tokenizer::encode).toList();
        Blocks.Examples blocks = Blocks.grouped(docs, Math.min(blockSize, model.config().maxPositions()));
        List<int[]> seqs = new ArrayList<>();
        for (long[] row : blocks.ids()) seqs.add(java.util.Arrays.stream(row).mapToInt(x -> (int) x).toArray());
        return seqs;
    }

    /** Each text tokenized by the model's tokenizer (its BOS included) and cut to the model's context. */
    public static Result ofTexts(CausalLM model, Tokenizer tokenizer, List<String> texts, int batchSize) {
        int max = model.config().maxPositions();
        List<int[]> seqs = new ArrayList<>();
        for (String t : texts) {
            int[] ids = tokenizer.encode(t);
            seqs.add(ids.length > max ? java.util.Arrays.copyOf(ids, max) : ids);
        }
        return of(model, seqs, batchSize);
    }

    /** Token-weighted perplexity of sequences scored on their own. */
    public static Result of(CausalLM model, List<int[]> sequences, int batchSize) {
        double sum = 0;
        long n = 0;
        for (double[] nll : SequenceScorer.tokenNll(model, sequences, batchSize)) {
            for (double x : nll) sum += x;
            n += nll.length;
        }
        if (n == 0) throw new IllegalArgumentException("no token to score: every text is a single token");
        return new Result(Math.exp(sum / n), sum / n, n);
    }

    /**
     * Token-weighted perplexity of the labelled tokens only: instruction examples' ids with their labels
     * (-100 where the prompt or a chat header is masked), each cut to the model's context, as training
     * counts them. Label j is the token predicted from ids[0..j), so it pairs with NLL j − 1.
     */
    public static Result ofLabelled(CausalLM model, List<int[]> ids, List<int[]> labels, int batchSize) {
        int max = model.config().maxPositions();
        List<int[]> seqs = ids.stream().map(s -> s.length > max ? java.util.Arrays.copyOf(s, max) : s).toList();
        double[][] nll = SequenceScorer.tokenNll(model, seqs, batchSize);
        double sum = 0;
        long n = 0;
        for (int i = 0; i < nll.length; i++) {
            for (int j = 1; j < seqs.get(i).length; j++) {
                if (labels.get(i)[j] == dev.emo.data.InstructionData.IGNORE) continue;
                sum += nll[i][j - 1];
                n++;
            }
        }
        if (n == 0) throw new IllegalArgumentException("no labelled token to score");
        return new Result(Math.exp(sum / n), sum / n, n);
    }
}

package dev.emo.evaluation;

import dev.emo.embedding.TextEmbedder;
import dev.emo.evaluation.mauve.Mauve;
import dev.emo.evaluation.rouge.RougeScorer;
import dev.emo.evaluation.rouge.Score;
import dev.emo.generation.Generator;
import dev.emo.generation.Sampling;
import dev.emo.models.CausalLM;
import dev.emo.tokenizers.Tokenizer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The paper's open-ended evaluation, one model: for each round (fresh samples, seed + round), every
 * prefix is continued by unbiased sampling, the model text is prefix + " " + continuation, and the
 * round is scored against the human texts by MAUVE (p = human, q = model), ROUGE-1/2/L F-measure
 * (mean over pairs; the reference's bootstrap "mid" is effectively that mean) and, with an oracle
 * model, the oracle's perplexity of the model texts.
 */
public final class OpenEndedEvaluation {
    private static final Logger LOG = LogManager.getLogger(OpenEndedEvaluation.class);

    /** newTokens: min_new_tokens (the reference allows one more, max_new_tokens = newTokens + 1). */
    public record Settings(int rounds, int newTokens, Sampling sampling, long seed, int batchSize, Mauve.Options mauve) {}

    public record Round(int index, double mauve, double rouge1, double rouge2, double rougeL, double oraclePerplexity,
                        double[][] divergenceCurve, List<String> modelTexts) {}

    public interface Progress {
        void roundDone(int round, int rounds);
    }

    private final CausalLM generatorModel;   // a KV-cache graph
    private final Tokenizer tokenizer;
    private final TextEmbedder featurizer;
    private final CausalLM oracle;           // null: no oracle perplexity
    private final Tokenizer oracleTokenizer;

    public OpenEndedEvaluation(CausalLM generatorModel, Tokenizer tokenizer, TextEmbedder featurizer,
                               CausalLM oracle, Tokenizer oracleTokenizer) {
        this.generatorModel = generatorModel;
        this.tokenizer = tokenizer;
        this.featurizer = featurizer;
        this.oracle = oracle;
        this.oracleTokenizer = oracleTokenizer;
    }

    public List<Round> run(List<OpenEndedProtocol.Example> examples, Settings s, Progress progress) {
        List<String> human = examples.stream().map(OpenEndedProtocol.Example::human).toList();
        long t0 = System.nanoTime();
        float[][] humanFeatures = featurizer.embed(human);
        LOG.info("featurized {} human texts with {} in {} s", human.size(), featurizer.name(), secondsSince(t0));
        List<int[]> prompts = new ArrayList<>();
        for (OpenEndedProtocol.Example e : examples) {
            int[] ids = tokenizer.encode(e.prefix());
            prompts.add(ids.length > 0 ? ids : new int[]{tokenizer.bosId()});
        }
        RougeScorer rouge = new RougeScorer(List.of("rouge1", "rouge2", "rougeL"), false);
        List<Round> rounds = new ArrayList<>();
        for (int r = 0; r < s.rounds(); r++) {
            long g0 = System.nanoTime();
            Generator.Options o = new Generator.Options(s.newTokens() + 1, s.sampling(), s.seed() + r, tokenizer.eosId(), s.batchSize(), s.newTokens());
            List<Generator.Output> outs = new Generator(generatorModel).generate(prompts, o);
            List<String> model = new ArrayList<>();
            long tokens = 0;
            for (int i = 0; i < examples.size(); i++) {
                model.add(examples.get(i).prefix() + " " + tokenizer.decode(outs.get(i).ids()));
                tokens += outs.get(i).ids().length;
            }
            double genSeconds = secondsSince(g0);
            LOG.info("round {}: sampled {} tokens in {} s ({} tokens/s)", r + 1, tokens, String.format("%.1f", genSeconds),
                    String.format("%.1f", tokens / genSeconds));
            Mauve.Result m = Mauve.compute(humanFeatures, featurizer.embed(model), s.mauve());
            List<Map<String, Score>> scores = new ArrayList<>();
            for (int i = 0; i < model.size(); i++) scores.add(rouge.score(human.get(i), model.get(i)));
            Map<String, Score> mean = RougeScorer.mean(scores);
            double oraclePpl = oracle == null ? Double.NaN : Perplexity.ofTexts(oracle, oracleTokenizer, model, s.batchSize()).perplexity();
            rounds.add(new Round(r, m.mauve(), mean.get("rouge1").fmeasure(), mean.get("rouge2").fmeasure(),
                    mean.get("rougeL").fmeasure(), oraclePpl, m.divergenceCurve(), model));
            if (progress != null) progress.roundDone(r + 1, s.rounds());
        }
        return rounds;
    }

    private static double secondsSince(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Mean and sample standard deviation (Python's statistics.stdev; 0 for one value). */
    public record Summary(double mean, double sd) {
        public static Summary of(double[] x) {
            double m = 0;
            for (double v : x) m += v;
            m /= x.length;
            double ss = 0;
            for (double v : x) ss += (v - m) * (v - m);
            return new Summary(m, x.length > 1 ? Math.sqrt(ss / (x.length - 1)) : 0);
        }

        @Override
        public String toString() {
            return String.format("%.4f ± %.4f", mean, sd);
        }
    }
}

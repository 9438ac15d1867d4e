package dev.emo.evaluation;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code evaluate} measures for one model, as written to {@code evaluation.json}; {@code settings}
 * names every option that changes the numbers, so a report is reused only under the same ones. Perplexity and
 * distribution measures are null where they were not asked for; oracle perplexity is NaN without an oracle.
 */
public record EvaluationReport(String model, String settings, String protocol, String data, int examples, String featurizer, String sampling,
                               List<RoundScores> rounds, OpenEndedEvaluation.Summary mauve, OpenEndedEvaluation.Summary rouge1,
                               OpenEndedEvaluation.Summary rouge2, OpenEndedEvaluation.Summary rougeL,
                               OpenEndedEvaluation.Summary oraclePerplexity, Perplexity.Result perplexity,
                               DistributionMeasures.Result distribution, double[][] divergenceCurve, double seconds) {

    public record RoundScores(int round, double mauve, double rouge1, double rouge2, double rougeL, double oraclePerplexity) {}

    public static EvaluationReport of(String model, String settings, String protocol, String data, int examples, String featurizer, String sampling,
                                      List<OpenEndedEvaluation.Round> rounds, Perplexity.Result ppl,
                                      DistributionMeasures.Result dist, double seconds) {
        List<RoundScores> scores = rounds.stream().map(r -> new RoundScores(r.index() + 1, r.mauve(), r.rouge1(), r.rouge2(),
                r.rougeL(), r.oraclePerplexity())).toList();
        return new EvaluationReport(model, settings, protocol, data, examples, featurizer, sampling, scores,
                summary(scores, RoundScores::mauve), summary(scores, RoundScores::rouge1), summary(scores, RoundScores::rouge2),
                summary(scores, RoundScores::rougeL), summary(scores, RoundScores::oraclePerplexity), ppl, dist,
                rounds.get(0).divergenceCurve(), seconds);
    }

    private static OpenEndedEvaluation.Summary summary(List<RoundScores> r, java.util.function.ToDoubleFunction<RoundScores> f) {
        return OpenEndedEvaluation.Summary.of(r.stream().mapToDouble(f).toArray());
    }

    public void write(Path file) {
        try {
            // NaN (no oracle) is written as the string "NaN", which read() accepts back
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static EvaluationReport read(Path file) {
        try {
            return new ObjectMapper().configure(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS.mappedFeature(), true)
                    .readValue(file.toFile(), EvaluationReport.class);
        } catch (IOException e) {
            throw dev.emo.UserError.of(file, "is not an evaluation report (" + e.getMessage() + ")", "re-run ./run.sh evaluate");
        }
    }
}

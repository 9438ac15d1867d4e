package dev.emo.evaluation.rouge;

/** One ROUGE score: precision against the prediction, recall against the reference, and their F1. */
public record Score(double precision, double recall, double fmeasure) {
    public static final Score ZERO = new Score(0, 0, 0);

    /** rouge_score's {@code scoring.fmeasure}: the harmonic mean, 0 (not NaN) when both are 0. */
    public static Score of(double precision, double recall) {
        double f = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
        return new Score(precision, recall, f);
    }
}

package dev.emo.training;

import java.nio.file.Path;

/** The fine-tuning settings, named and defaulted as in Hugging Face's run_clm / TrainingArguments. */
public record TrainingArgs(
        double learningRate,
        double weightDecay,
        double adamBeta1,
        double adamBeta2,
        double adamEpsilon,
        double warmupRatio,
        long warmupSteps,
        int perDeviceTrainBatchSize,
        int perDeviceEvalBatchSize,
        int gradientAccumulationSteps,
        double maxGradNorm,
        double numTrainEpochs,
        long maxSteps,          // > 0 overrides numTrainEpochs
        long seed,
        long evalSteps,         // 0: evaluate at epoch ends only
        long saveSteps,         // 0: checkpoint at evaluations and epoch ends
        long loggingSteps,
        Path outputDir) {

    /** Total optimizer steps for a data set of {@code examples} training examples. */
    public long totalSteps(int examples) {
        long perEpoch = stepsPerEpoch(examples);
        if (maxSteps > 0) return maxSteps;
        return (long) Math.ceil(numTrainEpochs * perEpoch);
    }

    public long stepsPerEpoch(int examples) {
        long microBatches = (examples + perDeviceTrainBatchSize - 1) / perDeviceTrainBatchSize;
        return Math.max(1, microBatches / gradientAccumulationSteps);
    }

    public long warmup(long total) {
        return warmupSteps > 0 ? warmupSteps : (long) Math.ceil(warmupRatio * total);
    }
}

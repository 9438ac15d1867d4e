package dev.emo.training;

import dev.emo.UserError;

import java.nio.file.Path;

/**
 * The fine-tuning settings, named and defaulted as in Hugging Face's run_clm / TrainingArguments.
 *
 * @param gradientCheckpointing re-run each layer's forward ops in the backward pass instead of keeping
 *        its activations ({@link GraphTrainer}): less memory, more time, the same numbers
 */
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
        Path outputDir,
        boolean gradientCheckpointing) {

    /** Without gradient checkpointing (Hugging Face's default). */
    public TrainingArgs(double learningRate, double weightDecay, double adamBeta1, double adamBeta2, double adamEpsilon, double warmupRatio,
                        long warmupSteps, int perDeviceTrainBatchSize, int perDeviceEvalBatchSize, int gradientAccumulationSteps,
                        double maxGradNorm, double numTrainEpochs, long maxSteps, long seed, long evalSteps, long saveSteps, long loggingSteps,
                        Path outputDir) {
        this(learningRate, weightDecay, adamBeta1, adamBeta2, adamEpsilon, warmupRatio, warmupSteps, perDeviceTrainBatchSize,
                perDeviceEvalBatchSize, gradientAccumulationSteps, maxGradNorm, numTrainEpochs, maxSteps, seed, evalSteps, saveSteps,
                loggingSteps, outputDir, false);
    }

    /** Every range is checked here, so a bad flag fails before a run folder is created or replaced. */
    public TrainingArgs {
        positive("--learning_rate", learningRate);
        atLeast("--weight_decay", weightDecay, 0);
        fraction("--adam_beta1", adamBeta1, false);
        fraction("--adam_beta2", adamBeta2, false);
        positive("--adam_epsilon", adamEpsilon);
        fraction("--warmup_ratio", warmupRatio, true);
        atLeast("--warmup_steps", warmupSteps, 0);
        atLeast("--per_device_train_batch_size", perDeviceTrainBatchSize, 1);
        atLeast("--per_device_eval_batch_size", perDeviceEvalBatchSize, 1);
        atLeast("--gradient_accumulation_steps", gradientAccumulationSteps, 1);
        atLeast("--max_grad_norm", maxGradNorm, 0);
        if (maxSteps <= 0) positive("--num_train_epochs (with no --max_steps)", numTrainEpochs);
        atLeast("--eval_steps", evalSteps, 0);
        atLeast("--save_steps", saveSteps, 0);
        atLeast("--logging_steps", loggingSteps, 0);
    }

    private static void positive(String flag, double v) {
        if (!(Double.isFinite(v) && v > 0)) throw new UserError(flag + " " + v + ": must be a finite number > 0");
    }

    private static void atLeast(String flag, double v, double min) {
        if (!(Double.isFinite(v) && v >= min)) throw new UserError(flag + " " + v + ": must be a finite number ≥ " + (long) min);
    }

    /** In [0, 1], or [0, 1) where 1 is not allowed. */
    private static void fraction(String flag, double v, boolean oneAllowed) {
        if (!(v >= 0 && (oneAllowed ? v <= 1 : v < 1))) throw new UserError(flag + " " + v + ": must be in [0, 1" + (oneAllowed ? "]" : ")"));
    }

    /** The same settings with accumulation multiplied (data parallelism: one share per executor). */
    public TrainingArgs withAccumulation(int steps) {
        return new TrainingArgs(learningRate, weightDecay, adamBeta1, adamBeta2, adamEpsilon, warmupRatio, warmupSteps,
                perDeviceTrainBatchSize, perDeviceEvalBatchSize, steps, maxGradNorm, numTrainEpochs, maxSteps,
                seed, evalSteps, saveSteps, loggingSteps, outputDir, gradientCheckpointing);
    }

    /** The same settings for another seed and run folder (compare's objective × seed grid). */
    public TrainingArgs withSeedAndOutput(long newSeed, Path newOutputDir) {
        return new TrainingArgs(learningRate, weightDecay, adamBeta1, adamBeta2, adamEpsilon, warmupRatio, warmupSteps,
                perDeviceTrainBatchSize, perDeviceEvalBatchSize, gradientAccumulationSteps, maxGradNorm, numTrainEpochs, maxSteps,
                newSeed, evalSteps, saveSteps, loggingSteps, newOutputDir, gradientCheckpointing);
    }

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

package dev.emo.jobs;

import dev.emo.UserError;
import dev.emo.models.ModelConfig;
import dev.emo.training.TrainingArgs;
import dev.emo.util.MemoryBudget;

/**
 * The settings whose products size what libnd4j and the JVM must hold, checked against the model's
 * config before the model is built or the run folder is touched: a LoRA rank beyond the layers'
 * width (a rank of 2147483647 fails allocating, one of 100000 writes a 448 MB adapter of nothing
 * useful), a micro-batch × block whose activations no memory here holds, and an accumulation whose
 * step (batch × accumulation × block token ids, all held at once) does not fit either.
 */
final class FinetuneLimits {
    /** Heap the loop spends per micro-batch besides its arrays (list entries, INDArray objects, seeds). */
    private static final long HEAP_PER_MICRO_BATCH = 1024;

    private FinetuneLimits() {}

    static void check(FinetuneSettings s, ModelConfig c) {
        java.nio.file.Path config = s.model().resolve("config.json");
        if (s.lora() != null && s.lora().r() > c.hiddenSize()) {
            throw UserError.of(config, "--lora_r " + s.lora().r() + " is more than the layers' width " + c.hiddenSize()
                    + " (a rank cannot exceed it)", "pass --lora_r " + Math.min(c.hiddenSize(), 64) + " or less (ranks of 4 to 64 are usual)");
        }
        TrainingArgs t = s.training();
        int block = s.blockSize();
        MemoryBudget.require(config, "--per_device_train_batch_size " + t.perDeviceTrainBatchSize() + " × --block_size " + block,
                c.activationBytes(t.perDeviceTrainBatchSize(), block, true),
                "pass --per_device_train_batch_size " + MemoryBudget.largestFitting(n -> c.activationBytes(n, block, true),
                        t.perDeviceTrainBatchSize()) + " or less, and raise --gradient_accumulation_steps for the same batch per step");
        MemoryBudget.require(config, "--per_device_eval_batch_size " + t.perDeviceEvalBatchSize() + " × --block_size " + block,
                c.activationBytes(t.perDeviceEvalBatchSize(), block, false),
                "pass --per_device_eval_batch_size " + MemoryBudget.largestFitting(n -> c.activationBytes(n, block, false),
                        t.perDeviceEvalBatchSize()) + " or less");
        long batch = t.perDeviceTrainBatchSize();
        java.util.function.LongToDoubleFunction step = a -> a * (16.0 * batch * block + HEAP_PER_MICRO_BATCH);
        int accum = t.gradientAccumulationSteps();
        MemoryBudget.require(config, "one step's " + accum + " micro-batches (--gradient_accumulation_steps " + accum
                        + " × --per_device_train_batch_size " + batch + " × --block_size " + block + " token ids)", step.applyAsDouble(accum),
                "pass --gradient_accumulation_steps " + MemoryBudget.largestFitting(step, accum) + " or less");
        if (accum * HEAP_PER_MICRO_BATCH > Runtime.getRuntime().maxMemory()) {
            throw UserError.of(config, "--gradient_accumulation_steps " + accum + " needs more Java heap than -Xmx allows",
                    "pass --gradient_accumulation_steps " + Runtime.getRuntime().maxMemory() / HEAP_PER_MICRO_BATCH + " or less");
        }
    }
}

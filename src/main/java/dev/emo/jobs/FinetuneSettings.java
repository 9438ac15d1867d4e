package dev.emo.jobs;

import dev.emo.UserError;
import dev.emo.objectives.Objective;
import dev.emo.training.TrainingArgs;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a fine-tuning run is given, named as in Hugging Face's run_clm. Every range is checked
 * here (and the optimizer's in {@link TrainingArgs}); what needs the disk (the model's positions, the
 * data, the output folder, the checkpoint) is checked by {@link FinetuneJob#prepare} — both before
 * anything is written.
 *
 * @param validationFile             null: hold out {@code validationSplitPercentage} % of the training documents
 * @param testFile                   null: no test perplexity
 * @param maxTrainSamples            0: all
 * @param costEmbedding              "frozen" (the head before training), "current" (the head each step) or a model folder
 * @param resumeFromCheckpoint       null, "latest" (in the output folder) or a checkpoint-N folder
 * @param instruction                how instruction data is trained (plain text leaves it at {@link Instruction#DEFAULT})
 */
public record FinetuneSettings(
        Path model,
        Path trainFile,
        Path validationFile,
        Path testFile,
        int validationSplitPercentage,
        String textColumn,
        int blockSize,
        boolean lineByLine,
        int maxTrainSamples,
        int maxEvalSamples,
        Objective objective,
        String costEmbedding,
        TrainingArgs training,
        boolean overwriteOutputDir,
        String resumeFromCheckpoint,
        Lora lora,
        Spark spark,
        Instruction instruction,
        String baseDtype) {      // --base_dtype as given ("auto" resolved against the checkpoint by FinetuneJob.prepare)

    /**
     * How instruction data ({prompt, completion} or {messages} JSONL, see data.InstructionData) is trained.
     *
     * @param chatTemplate a Jinja file instead of the model's chat_template, or null
     * @param packing      examples packed into rows of block_size (positions restart, no attention across examples)
     */
    public record Instruction(boolean completionOnlyLoss, Path chatTemplate, boolean packing) {
        public static final Instruction DEFAULT = new Instruction(true, null, false);
    }

    /**
     * Synchronous data-parallel training on a Spark cluster (null in {@link FinetuneSettings#spark}:
     * this machine). The global batch is per-device batch × accumulation × executors.
     */
    public record Spark(String master, int executors) {
        public Spark {
            if (master == null || master.isBlank()) throw new UserError("--spark_master: empty; pass spark://HOST:PORT (./run.sh spark-cluster start prints one)");
            if (executors < 1) throw new UserError("--spark_executors " + executors + ": must be at least 1");
        }
    }

    /**
     * LoRA fine-tuning as PEFT does it (null in {@link FinetuneSettings#lora}: full fine-tuning).
     *
     * @param targetModules empty: PEFT's default for the model's family (q_proj,v_proj; GPT-2: c_attn)
     * @param merge         best/ also holds the merged model in the input's format
     */
    public record Lora(int r, double alpha, double dropout, java.util.List<String> targetModules, boolean merge) {
        public Lora {
            targetModules = java.util.List.copyOf(targetModules);
            dev.emo.util.Lists.requireDistinct("--lora_target_modules", targetModules);
            // the same checks as the graph's spec, with a placeholder target when the family's default is meant
            new dev.emo.models.LoraSpec(r, alpha, dropout, targetModules.isEmpty() ? java.util.List.of("default") : targetModules);
        }
    }

    public FinetuneSettings {
        if (model == null) throw new UserError("--model_name_or_path: missing; pass an exported model folder");
        if (trainFile == null) throw new UserError("--train_file: missing; pass a .txt, .jsonl or .csv training file");
        Objects.requireNonNull(objective, "objective");
        Objects.requireNonNull(training, "training");
        Objects.requireNonNull(instruction, "instruction");
        if (validationFile == null && (validationSplitPercentage < 1 || validationSplitPercentage > 99)) {
            throw new UserError("--validation_split_percentage " + validationSplitPercentage + ": must be between 1 and 99");
        }
        if (textColumn == null || textColumn.isBlank()) throw new UserError("--text_column: empty; name the JSONL field / CSV column of the text");
        if (blockSize < 2) throw new UserError("--block_size " + blockSize + ": must be ≥ 2 (an input token and its next token)");
        if (maxTrainSamples < 0) throw new UserError("--max_train_samples " + maxTrainSamples + ": must be ≥ 0 (0 = all)");
        if (maxEvalSamples < 0) throw new UserError("--max_eval_samples " + maxEvalSamples + ": must be ≥ 0 (0 = all)");
        if (costEmbedding == null || costEmbedding.isBlank()) {
            throw new UserError("--cost_embedding: empty; pass frozen, current or a model folder");
        }
        if (resumeFromCheckpoint != null && resumeFromCheckpoint.isBlank()) {
            throw new UserError("--resume_from_checkpoint: empty; pass 'latest' or a checkpoint-N folder");
        }
    }

    public Path outputDir() {
        return training.outputDir();
    }

    public boolean resuming() {
        return resumeFromCheckpoint != null;
    }

    /**
     * The settings that decide which examples are seen in which order and how the weights move:
     * a checkpoint records them, and a resume with any of them changed is refused. (Evaluation,
     * logging and checkpoint intervals may change; so may --gradient_checkpointing, which changes
     * memory and time but no number: it re-runs the same ops on the same inputs.)
     */
    Map<String, String> trajectory(String modelSha256, String trainSha256, dev.emo.models.LoraSpec loraSpec, dev.emo.lowbit.BaseDType base) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("model weights sha256", modelSha256);
        m.put("training data sha256", trainSha256);
        m.put("--text_column", textColumn);
        m.put("--objective", objective.toString());
        m.put("--cost_embedding", costEmbedding);
        m.put("--block_size", Integer.toString(blockSize));
        m.put("--line_by_line", Boolean.toString(lineByLine));
        m.put("--max_train_samples", Integer.toString(maxTrainSamples));
        m.put("--validation_split_percentage", validationFile == null ? Integer.toString(validationSplitPercentage) : "unused");
        TrainingArgs t = training;
        m.put("--per_device_train_batch_size", Integer.toString(t.perDeviceTrainBatchSize()));
        m.put("--gradient_accumulation_steps", Integer.toString(t.gradientAccumulationSteps()));
        m.put("--seed", Long.toString(t.seed()));
        m.put("--learning_rate", Double.toString(t.learningRate()));
        m.put("--weight_decay", Double.toString(t.weightDecay()));
        m.put("--adam_beta1", Double.toString(t.adamBeta1()));
        m.put("--adam_beta2", Double.toString(t.adamBeta2()));
        m.put("--adam_epsilon", Double.toString(t.adamEpsilon()));
        m.put("--warmup_ratio", Double.toString(t.warmupRatio()));
        m.put("--warmup_steps", Long.toString(t.warmupSteps()));
        m.put("--max_grad_norm", Double.toString(t.maxGradNorm()));
        m.put("--num_train_epochs", t.maxSteps() > 0 ? "unused" : Double.toString(t.numTrainEpochs()));
        m.put("--max_steps", Long.toString(t.maxSteps()));
        m.put("--lora_r", loraSpec == null ? "0" : Integer.toString(loraSpec.r()));
        if (base.packed()) m.put("--base_dtype", base.flag());   // rounded or quantised base weights move the losses
        if (loraSpec != null) {
            m.put("--lora_alpha", Double.toString(loraSpec.alpha()));
            m.put("--lora_dropout", Double.toString(loraSpec.dropout()));
            m.put("--lora_target_modules", String.join(",", loraSpec.targetModules()));
        }
        return m;
    }

    /** These settings with other training arguments. */
    public FinetuneSettings withTraining(TrainingArgs t) {
        return new FinetuneSettings(model, trainFile, validationFile, testFile, validationSplitPercentage, textColumn, blockSize, lineByLine,
                maxTrainSamples, maxEvalSamples, objective, costEmbedding, t, overwriteOutputDir, resumeFromCheckpoint, lora, spark, instruction, baseDtype);
    }

    /** These settings for one cell of a comparison: another objective kind, seed and run folder. */
    public FinetuneSettings forRun(String objectiveKind, long seed, Path outputDir, boolean overwrite, String resume) {
        Objective o = new Objective(objectiveKind, objective.ratioCap(), objective.goldDetach(), objective.eta(), objective.gamma(),
                objective.minWeight());
        return new FinetuneSettings(model, trainFile, validationFile, testFile, validationSplitPercentage, textColumn, blockSize, lineByLine,
                maxTrainSamples, maxEvalSamples, o, costEmbedding, training.withSeedAndOutput(seed, outputDir), overwrite, resume, lora, spark, instruction, baseDtype);
    }

    public static Builder builder(Path model, Path trainFile, Path outputDir) {
        return new Builder(model, trainFile, outputDir);
    }

    /** Hugging Face's defaults; set what differs, then {@link #build()} (which checks every range). */
    public static final class Builder {
        private final Path model, trainFile, outputDir;
        private Path validationFile, testFile;
        private int validationSplitPercentage = 5, blockSize = 128, maxTrainSamples, maxEvalSamples;
        private String textColumn = "text", costEmbedding = "frozen", resume;
        private boolean lineByLine, overwrite, gradientCheckpointing;
        private Objective objective = Objective.of("emo");
        private Lora lora;
        private Spark spark;
        private Instruction instruction = Instruction.DEFAULT;
        private String baseDtype = "auto";
        private double learningRate = 5e-5, weightDecay, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, warmupRatio, maxGradNorm = 1.0,
                epochs = 3;
        private long warmupSteps, maxSteps = -1, seed = 42, evalSteps, saveSteps, loggingSteps = 10;
        private int trainBatch = 8, evalBatch = 8, accumulation = 1;

        private Builder(Path model, Path trainFile, Path outputDir) {
            this.model = model;
            this.trainFile = trainFile;
            this.outputDir = outputDir;
        }

        public Builder validationFile(Path f) { validationFile = f; return this; }
        public Builder testFile(Path f) { testFile = f; return this; }
        public Builder validationSplitPercentage(int p) { validationSplitPercentage = p; return this; }
        public Builder textColumn(String c) { textColumn = c; return this; }
        public Builder blockSize(int n) { blockSize = n; return this; }
        public Builder lineByLine(boolean on) { lineByLine = on; return this; }
        public Builder maxTrainSamples(int n) { maxTrainSamples = n; return this; }
        public Builder maxEvalSamples(int n) { maxEvalSamples = n; return this; }
        public Builder objective(Objective o) { objective = o; return this; }
        public Builder costEmbedding(String c) { costEmbedding = c; return this; }
        public Builder learningRate(double v) { learningRate = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder adamBetas(double b1, double b2) { beta1 = b1; beta2 = b2; return this; }
        public Builder adamEpsilon(double v) { epsilon = v; return this; }
        public Builder warmupRatio(double v) { warmupRatio = v; return this; }
        public Builder warmupSteps(long n) { warmupSteps = n; return this; }
        public Builder perDeviceTrainBatchSize(int n) { trainBatch = n; return this; }
        public Builder perDeviceEvalBatchSize(int n) { evalBatch = n; return this; }
        public Builder gradientAccumulationSteps(int n) { accumulation = n; return this; }
        public Builder maxGradNorm(double v) { maxGradNorm = v; return this; }
        public Builder numTrainEpochs(double v) { epochs = v; return this; }
        public Builder maxSteps(long n) { maxSteps = n; return this; }
        public Builder seed(long n) { seed = n; return this; }
        public Builder evalSteps(long n) { evalSteps = n; return this; }
        public Builder saveSteps(long n) { saveSteps = n; return this; }
        public Builder loggingSteps(long n) { loggingSteps = n; return this; }
        public Builder gradientCheckpointing(boolean on) { gradientCheckpointing = on; return this; }
        public Builder overwriteOutputDir(boolean on) { overwrite = on; return this; }
        public Builder resumeFromCheckpoint(String c) { resume = c; return this; }
        /** LoRA instead of full fine-tuning (null: full). */
        public Builder lora(Lora l) { lora = l; return this; }
        /** Data-parallel training on a Spark cluster (null: this machine). */
        public Builder spark(Spark s) { spark = s; return this; }
        /** How instruction data is trained (completion-only loss, chat template, packing). */
        public Builder instruction(Instruction i) { instruction = i; return this; }
        /** How the frozen base's projections are kept with LoRA: auto | float32 | bfloat16 | float16 | q8_0. */
        public Builder baseDtype(String d) { baseDtype = d; return this; }

        public FinetuneSettings build() {
            if (outputDir == null) throw new UserError("--output_dir: missing; name the run folder");
            TrainingArgs t = new TrainingArgs(learningRate, weightDecay, beta1, beta2, epsilon, warmupRatio, warmupSteps, trainBatch,
                    evalBatch, accumulation, maxGradNorm, epochs, maxSteps, seed, evalSteps, saveSteps, loggingSteps, outputDir,
                    gradientCheckpointing);
            return new FinetuneSettings(model, trainFile, validationFile, testFile, validationSplitPercentage, textColumn, blockSize,
                    lineByLine, maxTrainSamples, maxEvalSamples, objective, costEmbedding, t, overwrite, resume, lora, spark, instruction, baseDtype);
        }
    }
}

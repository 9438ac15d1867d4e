package dev.emo.cli;

import dev.emo.SharedData;
import dev.emo.UserError;
import dev.emo.jobs.FinetuneJob;
import dev.emo.jobs.FinetuneSettings;
import dev.emo.objectives.Objective;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "finetune", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fine-tunes an exported causal LM with EMO (or MLE, MixCE, TaiLr), run_clm style.",
                "With no arguments: EMO fine-tuning of stories260k on PTB from $EMO_SHARED, run folder under runs/.",
                "--config FILE reads any of these flags from a .properties or .json file (command-line flags win)."})
final class FinetuneCommand implements Callable<Integer> {
    @Option(names = {"--model_name_or_path", "--model"}, description = "exported model folder (default: $EMO_SHARED/models/stories260k)")
    Path model;
    @Option(names = "--train_file", description = "training text (default: $EMO_SHARED/data/ptb/ptb.train.txt)")
    Path trainFile;
    @Option(names = "--validation_file", description = "validation text (default: PTB valid with the default model; else --validation_split_percentage)")
    Path validationFile;
    @Option(names = "--test_file", description = "text whose perplexity is reported before and after (default: PTB test with the default model)")
    Path testFile;
    @Option(names = "--validation_split_percentage", defaultValue = "5", description = "held-out %% of training documents when there is no --validation_file (default: ${DEFAULT-VALUE})")
    int validationSplit;
    @Option(names = "--text_column", defaultValue = "text", description = "JSONL field / CSV column of the text (default: ${DEFAULT-VALUE})")
    String textColumn;
    @Option(names = "--block_size", defaultValue = "128", description = "tokens per example (default: ${DEFAULT-VALUE})")
    int blockSize;
    @Option(names = "--line_by_line", description = "one padded example per line instead of grouped blocks")
    boolean lineByLine;
    @Option(names = "--max_train_samples", defaultValue = "0", description = "use only the first N training examples (0 = all; default run: 1200)")
    int maxTrainSamples;
    @Option(names = "--max_eval_samples", defaultValue = "0", description = "use only the first N validation/test examples (0 = all; default run: 64)")
    int maxEvalSamples;
    @Option(names = "--completion_only_loss", arity = "1", defaultValue = "true",
            description = "instruction data: the loss on completions / assistant turns only (default: ${DEFAULT-VALUE}); false: prompts too")
    boolean completionOnlyLoss;
    @Option(names = "--chat_template", description = "instruction data: a Jinja chat template file instead of tokenizer_config.json's")
    Path chatTemplate;
    @Option(names = "--packing", description = "instruction data: examples concatenated into rows of --block_size (positions restart, no attention across examples)")
    boolean packing;

    @Option(names = "--objective", defaultValue = "emo", description = "mle | demd | emo | emo2 | mixce | tailr (default: ${DEFAULT-VALUE})")
    String objective;
    @Option(names = {"--emo_ratio_cap", "--emo-ratio-cap"}, defaultValue = "Infinity", description = "emo: clip the detached mle/demd ratio (default: none)")
    double ratioCap;
    @Option(names = {"--emo_gold_detach", "--emo-gold-detach"}, description = "emo: q − sg(q⊙onehot(y)) inside DEMD")
    boolean goldDetach;
    @Option(names = "--mixce_eta", defaultValue = "0.5", description = "mixce: η (default: ${DEFAULT-VALUE})")
    double eta;
    @Option(names = "--tailr_gamma", defaultValue = "0.5", description = "tailr: γ (default: ${DEFAULT-VALUE})")
    double gamma;
    @Option(names = "--tailr_min_weight", defaultValue = "0.1", description = "tailr: lower clamp of the weight (default: ${DEFAULT-VALUE})")
    double minWeight;
    @Option(names = "--cost_embedding", defaultValue = "frozen", description = "frozen (the head before training) | current (the head each step) | a model folder (default: ${DEFAULT-VALUE})")
    String costEmbedding;

    @Option(names = "--lora_r", defaultValue = "0", description = "LoRA rank: train adapters of this rank on a frozen base (0 = full fine-tuning; default: ${DEFAULT-VALUE})")
    int loraR;
    // no picocli defaults for the LoRA options: one given without --lora_r is refused, so "given" must be visible
    @Option(names = "--lora_alpha", description = "LoRA α; the adapters are scaled by α/r (PEFT's default: 8)")
    Double loraAlpha;
    @Option(names = "--lora_dropout", description = "dropout on the adapters' input while training (default: 0.0)")
    Double loraDropout;
    @Option(names = "--lora_target_modules", split = ",", description = "modules to adapt (default: PEFT's for the family: q_proj,v_proj; GPT-2: c_attn)")
    java.util.List<String> loraTargets;
    @Option(names = "--merge_lora", arity = "1", description = "best/ also holds the merged model in the input's format (default: true)")
    Boolean mergeLora;

    @Option(names = "--spark_master", description = "train data-parallel on this Spark cluster (spark://HOST:PORT; ./run.sh spark-cluster start prints one); "
            + "under spark-submit: its --master")
    String sparkMaster;
    @Option(names = "--spark_executors", description = "executors sharing each step; global batch = per-device batch × accumulation × executors "
            + "(default: spark-submit's --num-executors, else 2)")
    Integer sparkExecutors;

    @Option(names = "--learning_rate", defaultValue = "5e-5", description = "default: ${DEFAULT-VALUE}; default run: 1e-3")
    Double learningRate;
    @Option(names = "--weight_decay", defaultValue = "0.0", description = "default: ${DEFAULT-VALUE}")
    double weightDecay;
    @Option(names = "--adam_beta1", defaultValue = "0.9", description = "default: ${DEFAULT-VALUE}")
    double beta1;
    @Option(names = "--adam_beta2", defaultValue = "0.999", description = "default: ${DEFAULT-VALUE}")
    double beta2;
    @Option(names = "--adam_epsilon", defaultValue = "1e-8", description = "default: ${DEFAULT-VALUE}")
    double eps;
    @Option(names = "--warmup_ratio", defaultValue = "0.0", description = "default: ${DEFAULT-VALUE}")
    double warmupRatio;
    @Option(names = "--warmup_steps", defaultValue = "0", description = "overrides --warmup_ratio when > 0 (default: ${DEFAULT-VALUE})")
    long warmupSteps;
    @Option(names = "--per_device_train_batch_size", defaultValue = "8", description = "default: ${DEFAULT-VALUE}")
    int trainBatch;
    @Option(names = "--per_device_eval_batch_size", defaultValue = "8", description = "default: ${DEFAULT-VALUE}")
    int evalBatch;
    @Option(names = "--gradient_accumulation_steps", defaultValue = "1", description = "default: ${DEFAULT-VALUE}")
    int accum;
    @Option(names = "--max_grad_norm", defaultValue = "1.0", description = "0 = no clipping (default: ${DEFAULT-VALUE})")
    double maxGradNorm;
    @Option(names = "--num_train_epochs", defaultValue = "3", description = "default: ${DEFAULT-VALUE}")
    double epochs;
    @Option(names = "--max_steps", defaultValue = "-1", description = "optimizer steps; overrides epochs when > 0 (default: ${DEFAULT-VALUE}; default run: 120)")
    long maxSteps;
    @Option(names = "--seed", defaultValue = "42", description = "same seed, same losses (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--eval_steps", defaultValue = "0", description = "evaluate every N steps; 0 = at epoch ends (default: ${DEFAULT-VALUE}; default run: 40)")
    long evalSteps;
    @Option(names = "--save_steps", defaultValue = "0", description = "checkpoint every N steps; 0 = with each evaluation (default: ${DEFAULT-VALUE})")
    long saveSteps;
    @Option(names = "--logging_steps", defaultValue = "10", description = "default: ${DEFAULT-VALUE}")
    long loggingSteps;
    @Option(names = "--gradient_checkpointing", description = "keep only each layer's input and recompute the layer in the backward pass: "
            + "less memory, about one more forward pass of time, the same numbers")
    boolean gradientCheckpointing;
    @Option(names = "--base_dtype", defaultValue = "auto", description = "with --lora_r: how the frozen base's Linear weights are kept: "
            + "auto (the checkpoint's own bfloat16/float16, float32 for ONNX exports) | float32 | bfloat16 | float16 | q8_0 (default: ${DEFAULT-VALUE})")
    String baseDtype;
    @Option(names = "--output_dir", description = "run folder (default: runs/finetune-<time>)")
    Path outputDir;
    @Option(names = "--overwrite_output_dir", description = "replace a run folder that already holds a run")
    boolean overwrite;
    @Option(names = "--resume_from_checkpoint", description = "a checkpoint-N folder, or 'latest' in --output_dir")
    String resume;

    @Override
    public Integer call() {
        FinetuneJob job = FinetuneJob.prepare(settings());   // reads and checks everything; writes nothing yet
        FinetuneJob.Result r = job.run(progressBar());
        System.out.println();
        System.out.printf("%-26s %12s %12s%n", "", "before", "after");
        System.out.printf("%-26s %12.3f %12.3f%n", "validation perplexity", r.validationBefore().perplexity(), r.validationAfter().perplexity());
        if (r.testAfter() != null) {
            System.out.printf("%-26s %12.3f %12.3f%n", "test perplexity", r.testBefore().perplexity(), r.testAfter().perplexity());
        }
        System.out.printf("%-26s %12s %12.1f%n", "training time (s)", "", r.trainSeconds());
        System.out.printf("%-26s %12s %12.1f%n", "training tokens/s", "", r.tokensPerSecond());
        System.out.printf("best model (step %d): %s%n", r.bestStep(), r.bestModel());
        return 0;
    }

    /** Prints what the run will do, then a progress bar with tokens/s and ETA. */
    static FinetuneJob.Listener progressBar() {
        return new FinetuneJob.Listener() {
            private Progress bar;

            @Override
            public void started(FinetuneJob.Plan p) {
                System.err.printf("fine-tuning %s with %s: %d training examples of %d tokens, %d steps -> %s%s%n", p.model().getFileName(),
                        p.objective(), p.trainExamples(), p.blockSize(), p.totalSteps(), p.runDir(),
                        p.resumeStep() == null ? "" : " (resuming at step " + p.resumeStep() + ")");
                bar = new Progress(p.totalSteps(), p.tokensPerStep());
            }

            @Override
            public void step(long step, double loss) {
                bar.update(step, loss);
                if (step == bar.total()) bar.done();
            }
        };
    }

    /** The flags as job settings; every range is checked in the settings' constructors. */
    FinetuneSettings settings() {
        boolean defaultRun = model == null && trainFile == null;
        if (defaultRun) applyDefaults();
        if (model == null || trainFile == null) {
            throw new UserError("--model_name_or_path and --train_file are required (or pass neither for the default run)");
        }
        Objective obj = Objective.of(objective).withRatioCap(ratioCap).withGoldDetach(goldDetach).withEta(eta).withTailr(gamma, minWeight);
        return FinetuneSettings.builder(model, trainFile, outputDir != null ? outputDir : Main.defaultOutputDir("finetune"))
                .validationFile(validationFile).testFile(testFile).validationSplitPercentage(validationSplit).textColumn(textColumn)
                .blockSize(blockSize).lineByLine(lineByLine).maxTrainSamples(maxTrainSamples).maxEvalSamples(maxEvalSamples)
                .objective(obj).costEmbedding(costEmbedding)
                .learningRate(learningRate).weightDecay(weightDecay).adamBetas(beta1, beta2).adamEpsilon(eps)
                .warmupRatio(warmupRatio).warmupSteps(warmupSteps).perDeviceTrainBatchSize(trainBatch).perDeviceEvalBatchSize(evalBatch)
                .gradientAccumulationSteps(accum).maxGradNorm(maxGradNorm).numTrainEpochs(epochs).maxSteps(maxSteps).seed(seed)
                .evalSteps(evalSteps).saveSteps(saveSteps).loggingSteps(loggingSteps).gradientCheckpointing(gradientCheckpointing).baseDtype(baseDtype)
                .overwriteOutputDir(overwrite).resumeFromCheckpoint(resume)
                .lora(lora())
                .spark(sparkSettings()).instruction(new FinetuneSettings.Instruction(completionOnlyLoss, chatTemplate, packing)).build();
    }

    /** --lora_r's settings, or null for full fine-tuning; LoRA options without a rank would be silently ignored, so they are refused. */
    private FinetuneSettings.Lora lora() {
        if (loraR == 0) {
            java.util.List<String> given = new java.util.ArrayList<>();
            if (loraAlpha != null) given.add("--lora_alpha");
            if (loraDropout != null) given.add("--lora_dropout");
            if (loraTargets != null) given.add("--lora_target_modules");
            if (mergeLora != null) given.add("--merge_lora");
            if (!given.isEmpty()) {
                throw new UserError(String.join(", ", given) + ": LoRA settings without --lora_r would train the full model; "
                        + "pass --lora_r R (e.g. 8) for LoRA, or leave them out for full fine-tuning");
            }
            return null;
        }
        return new FinetuneSettings.Lora(loraR, loraAlpha == null ? 8 : loraAlpha, loraDropout == null ? 0 : loraDropout,
                loraTargets == null ? java.util.List.of() : loraTargets, mergeLora == null || mergeLora);
    }

    private void applyDefaults() {
        model = SharedData.models().resolve("stories260k");
        Path ptb = SharedData.data().resolve("ptb");
        if (!Files.isDirectory(model) || !Files.isDirectory(ptb)) {
            throw new UserError(SharedData.missingMessage("the default run's model (models/stories260k) and data (data/ptb)")
                    + "; or bring your own: `optimum-cli export onnx --model gpt2 --task text-generation models/gpt2`, then "
                    + "`./run.sh finetune --model models/gpt2 --train_file data/train.txt`");
        }
        trainFile = ptb.resolve("ptb.train.txt");
        if (validationFile == null) validationFile = ptb.resolve("ptb.valid.txt");
        if (testFile == null) testFile = ptb.resolve("ptb.test.txt");
        if (maxTrainSamples == 0) maxTrainSamples = 1200;
        if (maxEvalSamples == 0) maxEvalSamples = 64;
        if (maxSteps <= 0) maxSteps = 120;
        if (evalSteps == 0) evalSteps = 40;
        if (learningRate == 5e-5) learningRate = 1e-3;
        if (warmupSteps == 0) warmupSteps = 10;
    }

    /** --spark_master, or the master spark-submit started this JVM with; null: one machine. */
    private FinetuneSettings.Spark sparkSettings() {
        String master = sparkMaster != null ? sparkMaster : dev.emo.distributed.SparkTraining.submittedMaster();
        if (sparkExecutors != null && sparkExecutors < 1) throw new UserError("--spark_executors " + sparkExecutors + ": must be at least 1");
        if (master == null && sparkExecutors != null) {
            throw new UserError("--spark_executors " + sparkExecutors + ": given without --spark_master, so nothing would use it; "
                    + "pass --spark_master spark://HOST:PORT (./run.sh spark-cluster start prints one), or leave it out");
        }
        if (master == null) return null;
        int executors = sparkExecutors != null ? sparkExecutors : Integer.getInteger("spark.executor.instances", 2);
        return new FinetuneSettings.Spark(master, executors);
    }
}

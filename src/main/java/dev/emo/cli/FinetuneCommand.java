package dev.emo.cli;

import dev.emo.util.Hashes;
import dev.emo.SharedData;
import dev.emo.UserError;
import dev.emo.data.Blocks;
import dev.emo.data.TextFiles;
import dev.emo.data.TokenizedCache;
import dev.emo.models.Models;
import dev.emo.objectives.CostEmbedding;
import dev.emo.objectives.Objective;
import dev.emo.tokenizers.Tokenizer;
import dev.emo.training.FineTuner;
import dev.emo.training.RunFolder;
import dev.emo.training.TrainingArgs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    @Option(names = "--output_dir", description = "run folder (default: runs/finetune-<time>)")
    Path outputDir;
    @Option(names = "--overwrite_output_dir", description = "replace a run folder that already holds a run")
    boolean overwrite;
    @Option(names = "--resume_from_checkpoint", description = "a checkpoint-N folder, or 'latest' in --output_dir")
    String resume;

    @Override
    public Integer call() throws Exception {
        boolean defaultRun = model == null && trainFile == null;
        if (defaultRun) applyDefaults();
        if (model == null || trainFile == null) {
            throw new UserError("--model_name_or_path and --train_file are required (or pass neither for the default run)");
        }
        Objective obj = Objective.of(objective).withRatioCap(ratioCap).withGoldDetach(goldDetach).withEta(eta).withTailr(gamma, minWeight);
        if (outputDir == null) outputDir = Main.defaultOutputDir("finetune");
        // every setting is checked before the run folder is created (or an old run replaced)
        TrainingArgs args = new TrainingArgs(learningRate, weightDecay, beta1, beta2, eps, warmupRatio, warmupSteps, trainBatch, evalBatch,
                accum, maxGradNorm, epochs, maxSteps, seed, evalSteps, saveSteps, loggingSteps, outputDir);
        if (validationFile == null && (validationSplit < 1 || validationSplit > 99)) {
            throw new UserError("--validation_split_percentage " + validationSplit + ": must be between 1 and 99");
        }
        Models.Loaded loaded = Models.load(model);
        int positions = loaded.model().config().maxPositions();
        if (blockSize < 2 || blockSize > positions) {
            throw UserError.of(model.resolve("config.json"), "--block_size " + blockSize + " does not fit the model's " + positions + " positions",
                    "pass --block_size between 2 and " + positions);
        }
        Tokenizer tok = Tokenizer.load(model);
        Path cache = emoHome().resolve("cache").resolve("tokenized");

        List<int[]> trainDocs = docs(trainFile, tok, cache);
        List<int[]> valDocs;
        if (validationFile != null) {
            valDocs = docs(validationFile, tok, cache);
        } else {
            int held = Math.max(1, trainDocs.size() * validationSplit / 100);
            valDocs = new ArrayList<>(trainDocs.subList(trainDocs.size() - held, trainDocs.size()));
            trainDocs = new ArrayList<>(trainDocs.subList(0, trainDocs.size() - held));
        }
        Blocks.Examples train = limit(examples(trainDocs, tok, () -> noExample(trainFile)), maxTrainSamples);
        Blocks.Examples val = limit(examples(valDocs, tok, validationFile != null ? () -> noExample(validationFile)
                : () -> UserError.of(trainFile, "its held-out " + validationSplit + "% gives no validation example of " + blockSize + " tokens",
                "pass --validation_file or a larger --validation_split_percentage")), maxEvalSamples);
        Blocks.Examples test = testFile == null ? null
                : limit(examples(docs(testFile, tok, cache), tok, () -> noExample(testFile)), maxEvalSamples);

        CostEmbedding.Source source = switch (costEmbedding) {
            case "frozen" -> CostEmbedding.Source.FROZEN;
            case "current" -> CostEmbedding.Source.CURRENT;
            default -> CostEmbedding.Source.MODEL;
        };
        var head = loaded.model().lmHead().getArr();
        var cost = source == CostEmbedding.Source.MODEL ? CostEmbedding.fromModel(Path.of(costEmbedding), head.size(0))
                : CostEmbedding.normalizedCopy(head);

        boolean resuming = resume != null;
        RunFolder run = RunFolder.create(outputDir, overwrite, resuming);   // the first write: everything above is validated
        FineTuner tuner = new FineTuner(loaded, model, args, obj, cost, run);
        tuner.adaptiveCostEmbedding(source == CostEmbedding.Source.CURRENT);

        long total = args.totalSteps(train.size());
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("command", "finetune");
        info.put("settings", settings(args, obj));
        info.put("model", Map.of("path", model.toAbsolutePath().toString(), "onnx_sha256", Hashes.sha256(loaded.onnx().file())));
        info.put("data", dataInfo());
        info.put("examples", Map.of("train", train.size(), "validation", val.size(), "test", test == null ? 0 : test.size(),
                "train_tokens", train.tokens()));
        info.put("versions", Map.of("java", System.getProperty("java.version"), "nd4j", "1.0.0-M2.1", "emo-dl4j", "0.1.0"));
        info.put("host", Map.of("name", java.net.InetAddress.getLocalHost().getHostName(), "cores", Runtime.getRuntime().availableProcessors(),
                "os", System.getProperty("os.name") + " " + System.getProperty("os.arch")));
        info.put("started", java.time.Instant.now().toString());
        if (resuming) {
            Path ckpt = resume.equals("latest") ? FineTuner.latestCheckpoint(outputDir) : Path.of(resume);
            tuner.resume(ckpt);
            run.truncateMetricsAfter(tuner.step());
        } else {
            run.writeRunJson(info);
        }

        System.err.printf("fine-tuning %s with %s: %d training examples of %d tokens, %d steps -> %s%n", model.getFileName(), obj,
                train.size(), blockSize, total, outputDir);
        FineTuner.Eval valBefore = tuner.evaluate(val), testBefore = test == null ? null : tuner.evaluate(test);
        long t0 = System.nanoTime();
        Progress bar = new Progress(total, (long) trainBatch * accum * blockSize);
        tuner.onStep(s -> bar.update(s, tuner.stepLosses().get(tuner.stepLosses().size() - 1)));
        tuner.train(train, val);
        bar.done();
        double secs = (System.nanoTime() - t0) / 1e9;
        FineTuner.Eval valAfter = tuner.evaluate(val), testAfter = test == null ? null : tuner.evaluate(test);

        System.out.println();
        System.out.printf("%-26s %12s %12s%n", "", "before", "after");
        System.out.printf("%-26s %12.3f %12.3f%n", "validation perplexity", valBefore.perplexity(), valAfter.perplexity());
        if (test != null) System.out.printf("%-26s %12.3f %12.3f%n", "test perplexity", testBefore.perplexity(), testAfter.perplexity());
        System.out.printf("%-26s %12s %12.1f%n", "training time (s)", "", secs);
        System.out.printf("%-26s %12s %12.1f%n", "training tokens/s", "", (tuner.step()) * (double) trainBatch * accum * blockSize / secs);
        System.out.printf("best model (step %d): %s%n", tuner.bestStep(), outputDir.resolve("best"));
        if (resuming) {                        // keep the original run's record, add how it ended
            @SuppressWarnings("unchecked")
            Map<String, Object> original = new com.fasterxml.jackson.databind.ObjectMapper().readValue(outputDir.resolve("run.json").toFile(), Map.class);
            original.put("resumed", info.get("started"));
            info = original;
        }
        info.put("finished", java.time.Instant.now().toString());
        info.put("result", Map.of("validation_ppl_before", valBefore.perplexity(), "validation_ppl_after", valAfter.perplexity(),
                "test_ppl_before", test == null ? "" : testBefore.perplexity(), "test_ppl_after", test == null ? "" : testAfter.perplexity(),
                "train_seconds", secs, "best_step", tuner.bestStep()));
        run.writeRunJson(info);
        return 0;
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

    private List<int[]> docs(Path file, Tokenizer tok, Path cache) {
        return TokenizedCache.tokenize(file, TextFiles.detect(file), textColumn, tok, model, cache);
    }

    /** Grouped blocks (or padded lines); {@code ifEmpty} says what to do about a file too short for one. */
    private Blocks.Examples examples(List<int[]> docs, Tokenizer tok, java.util.function.Supplier<UserError> ifEmpty) {
        Blocks.Examples e = lineByLine ? Blocks.lineByLine(docs, blockSize, Math.max(0, tok.padId()))
                : Blocks.grouped(docs, blockSize);
        if (e.size() == 0) throw ifEmpty.get();
        return e;
    }

    private UserError noExample(Path file) {
        return UserError.of(file, "gives no example of " + blockSize + " tokens", "use a larger file or a smaller --block_size");
    }

    private static Blocks.Examples limit(Blocks.Examples e, int max) {
        if (max <= 0 || max >= e.size()) return e;
        return new Blocks.Examples(java.util.Arrays.copyOf(e.ids(), max), java.util.Arrays.copyOf(e.mask(), max), e.blockSize());
    }

    private Map<String, Object> dataInfo() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Path p : new Path[]{trainFile, validationFile, testFile}) {
            if (p != null) m.put(p.toAbsolutePath().toString(), Hashes.sha256(p));
        }
        return m;
    }

    private Map<String, Object> settings(TrainingArgs a, Objective o) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("objective", o.toString());
        m.put("cost_embedding", costEmbedding);
        m.put("block_size", blockSize);
        m.put("line_by_line", lineByLine);
        m.put("max_train_samples", maxTrainSamples);
        m.put("max_eval_samples", maxEvalSamples);
        m.put("validation_split_percentage", validationSplit);
        m.put("training_args", a);
        return m;
    }

    static Path emoHome() {
        String env = System.getenv("EMO_HOME");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "emo-dl4j");
    }
}

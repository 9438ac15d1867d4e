package dev.emo.jobs;

import dev.emo.EmoHome;
import dev.emo.UserError;
import dev.emo.data.Blocks;
import dev.emo.data.TextFiles;
import dev.emo.data.TokenizedCache;
import dev.emo.lowbit.BaseDType;
import dev.emo.models.GraphOptions;
import dev.emo.models.LoraSpec;
import dev.emo.registry.ModelFamilies;
import dev.emo.registry.Models;
import dev.emo.objectives.CostEmbedding;
import dev.emo.tokenizers.Tokenizer;
import dev.emo.training.CheckpointState;
import dev.emo.training.FineTuner;
import dev.emo.training.RunFolder;
import dev.emo.training.TrainingArgs;
import dev.emo.util.Hashes;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A fine-tuning run as a library call. {@link #prepare} reads and checks everything — model, data,
 * cost embedding, checkpoint, output folder — and writes nothing to the run folder; {@link #run}
 * then locks the folder, replaces an old run if asked, trains, evaluates before and after, and
 * exports the best model. A bad setting therefore leaves the disk as it was.
 *
 * <pre>{@code
 * FinetuneSettings s = FinetuneSettings.builder(Path.of("models/gpt2"), Path.of("train.txt"), Path.of("runs/emo"))
 *         .objective(Objective.of("emo")).learningRate(1e-4).maxSteps(500).build();
 * FinetuneJob.Result r = FinetuneJob.prepare(s).run(FinetuneJob.Listener.NONE);
 * }</pre>
 */
public final class FinetuneJob {
    /** What a caller hears while the job runs (the CLI draws its progress bar from it). */
    public interface Listener {
        Listener NONE = new Listener() { };

        default void started(Plan plan) { }

        default void step(long step, double loss) { }
    }

    /** The work ahead, known after {@link #prepare}. */
    public record Plan(Path model, Path runDir, String objective, int trainExamples, int validationExamples, int testExamples,
                       int blockSize, long totalSteps, long tokensPerStep, Long resumeStep) {}

    /** How the run ended; {@code test*} are null without a test file. */
    public record Result(Path runDir, FineTuner.Eval validationBefore, FineTuner.Eval validationAfter, FineTuner.Eval testBefore,
                         FineTuner.Eval testAfter, double trainSeconds, double tokensPerSecond, long bestStep) {
        public Path bestModel() {
            return runDir.resolve("best");
        }
    }

    private final FinetuneSettings settings;
    private final Models.Loaded loaded;
    private final Blocks.Examples train, validation, test;
    private final INDArray cost;
    private final CostEmbedding.Source costSource;
    private final Map<String, String> trajectory;
    private final Path checkpoint;          // null unless resuming
    private final RunRecord previous;       // the output folder's run.json when resuming into it
    private final RunRecord.ModelRef modelRef;
    private final Map<String, String> dataHashes;
    private final Long resumeStep;          // the checkpoint's step, read in prepare
    private final InstructionInputs instruction;   // null: plain text
    private boolean used;

    private FinetuneJob(FinetuneSettings settings, Models.Loaded loaded, Blocks.Examples train, Blocks.Examples validation,
                        Blocks.Examples test, INDArray cost, CostEmbedding.Source costSource, Map<String, String> trajectory,
                        Path checkpoint, RunRecord previous, RunRecord.ModelRef modelRef, Map<String, String> dataHashes, Long resumeStep,
                        InstructionInputs instruction) {
        this.settings = settings;
        this.loaded = loaded;
        this.train = train;
        this.validation = validation;
        this.test = test;
        this.cost = cost;
        this.costSource = costSource;
        this.trajectory = trajectory;
        this.checkpoint = checkpoint;
        this.previous = previous;
        this.modelRef = modelRef;
        this.dataHashes = dataHashes;
        this.resumeStep = resumeStep;
        this.instruction = instruction;
    }

    /**
     * {@code --base_dtype} resolved (auto: the checkpoint's 16-bit type under LoRA, float32 for full
     * fine-tuning), refused where it cannot apply, and the whole step's memory estimated against this
     * machine before anything is loaded: a 7B base that cannot fit is one line naming the flags that would.
     */
    private static BaseDType baseDtype(FinetuneSettings s, LoraSpec loraSpec) {
        BaseDType base = Models.baseDtype(s.baseDtype(), s.model(), loraSpec != null);
        if (base.packed() && loraSpec == null) {
            throw UserError.of("--base_dtype " + base.flag(), "keeps the base frozen in " + base.flag() + ", and full fine-tuning (no --lora_r) trains every weight in float32",
                    "add --lora_r (e.g. --lora_r 16) or pass --base_dtype float32");
        }
        if (!dev.emo.kernels.HostOp.enabled()) return base;   // the estimate reads shapes through the host ops; FinetuneLimits still checks activations
        dev.emo.models.ModelConfig config = ModelFamilies.config(s.model());
        dev.emo.registry.MemoryEstimate.require(s.model().resolve("config.json"), dev.emo.registry.ModelShapes.of(config),
                new dev.emo.registry.MemoryEstimate.Setting(loraSpec, base, s.training().gradientCheckpointing(),
                        s.training().perDeviceTrainBatchSize(), s.blockSize(), s.objective().needsDemd()),
                "--per_device_train_batch_size");
        return base;
    }

    /** Checks every setting against the model, the data, the checkpoint and the output folder; writes nothing there. */
    public static FinetuneJob prepare(FinetuneSettings given) {
        FinetuneSettings s = perExecutorShares(given);
        Path out = s.outputDir();
        // the folder first: cheap, and the most common mistake (a run already there, a run still writing)
        RunFolder.check(out, s.overwriteOutputDir(), s.resuming(), inputs(s));
        refuseModelFolderAsOutput(s);
        // sizes against the config before the model is built: a rank or a batch no machine can hold fails here as one line
        FinetuneLimits.check(s, ModelFamilies.config(s.model()));
        LoraSpec loraSpec = loraSpec(s);
        BaseDType base = baseDtype(s, loraSpec);
        Models.Loaded loaded = Models.load(s.model(), new GraphOptions(false, loraSpec, base));
        if (loraSpec != null) {
            checkTargets(s, loaded.model(), loraSpec);
            loaded.model().initLora(new java.util.Random(s.training().seed()));
        }
        int positions = loaded.model().config().maxPositions();
        if (s.blockSize() > positions) {
            throw UserError.of(s.model().resolve("config.json"), "--block_size " + s.blockSize() + " does not fit the model's "
                    + positions + " positions", "pass --block_size between 2 and " + positions);
        }
        Tokenizer tok = ModelFamilies.tokenizer(s.model());
        InstructionInputs instruction = InstructionInputs.read(s, tok);   // null: plain text
        Blocks.Examples train, val, test;
        if (instruction != null) {
            train = instruction.train();
            val = instruction.validation();
            test = instruction.test();
        } else {
            List<int[]> trainDocs = docs(s, s.trainFile(), tok);
            List<int[]> valDocs;
            if (s.validationFile() != null) {
                valDocs = docs(s, s.validationFile(), tok);
            } else {
                int held = Math.max(1, trainDocs.size() * s.validationSplitPercentage() / 100);
                valDocs = new ArrayList<>(trainDocs.subList(trainDocs.size() - held, trainDocs.size()));
                trainDocs = new ArrayList<>(trainDocs.subList(0, trainDocs.size() - held));
            }
            train = limit(examples(s, trainDocs, tok, () -> noExample(s, s.trainFile())), s.maxTrainSamples());
            val = limit(examples(s, valDocs, tok, s.validationFile() != null ? () -> noExample(s, s.validationFile())
                    : () -> UserError.of(s.trainFile(), "its held-out " + s.validationSplitPercentage() + "% gives no validation example of "
                    + s.blockSize() + " tokens", "pass --validation_file or a larger --validation_split_percentage")), s.maxEvalSamples());
            test = s.testFile() == null ? null
                    : limit(examples(s, docs(s, s.testFile(), tok), tok, () -> noExample(s, s.testFile())), s.maxEvalSamples());
        }

        CostEmbedding.Source source = switch (s.costEmbedding()) {
            case "frozen" -> CostEmbedding.Source.FROZEN;
            case "current" -> CostEmbedding.Source.CURRENT;
            default -> CostEmbedding.Source.MODEL;
        };
        INDArray head = loaded.model().lmHead().getArr();
        INDArray cost = source == CostEmbedding.Source.MODEL ? CostEmbedding.fromModel(Path.of(s.costEmbedding()), head.size(0))
                : CostEmbedding.normalizedCopy(head);

        RunRecord.ModelRef modelRef = new RunRecord.ModelRef(s.model().toAbsolutePath().toString(), loaded.source().format(),
                Hashes.sha256(loaded.source().file()));
        Map<String, String> dataHashes = new LinkedHashMap<>();
        for (Path p : new Path[]{s.trainFile(), s.validationFile(), s.testFile()}) {
            if (p != null) dataHashes.put(p.toAbsolutePath().toString(), Hashes.sha256(p));
        }
        Map<String, String> trajectory = s.trajectory(modelRef.weightsSha256(), dataHashes.get(s.trainFile().toAbsolutePath().toString()), loraSpec, base);
        if (instruction != null) InstructionInputs.addTrajectory(s, trajectory);

        Path checkpoint = null;
        RunRecord previous = null;
        Long resumeStep = null;
        FinetuneSettings restarted = s;
        if (s.resuming() && s.resumeFromCheckpoint().equals("latest") && interruptedBeforeFirstCheckpoint(out)) {
            // killed while writing its first checkpoint (or before): nothing to restore, so "continue it" means start it again
            // in place, which repeats the same seeded steps; the old run's partial files (checkpoint-N.tmp, metrics) go
            restarted = s.forRun(s.objective().kind(), s.training().seed(), out, true, null);
            RunFolder.check(out, true, false, inputs(s));   // the restart replaces the folder's files: none may be an input
        } else if (s.resuming()) {
            checkpoint = s.resumeFromCheckpoint().equals("latest") ? FineTuner.latestCheckpoint(out) : Path.of(s.resumeFromCheckpoint());
            CheckpointState state = CheckpointState.read(checkpoint);
            state.requireSameRun(trajectory);
            resumeStep = state.step();
            if (Files.exists(out.resolve(RunRecord.FILE))) previous = RunRecord.read(out);
        }
        return new FinetuneJob(restarted, loaded, train, val, test, cost, source, trajectory, checkpoint, previous, modelRef, dataHashes, resumeStep,
                instruction);
    }

    /** run.json of a run that did not finish, and no complete checkpoint-N: what a kill during the first checkpoint leaves. */
    private static boolean interruptedBeforeFirstCheckpoint(Path out) {
        if (!Files.isRegularFile(out.resolve(RunRecord.FILE)) || RunRecord.read(out).complete()) return false;
        try {
            FineTuner.latestCheckpoint(out);
            return false;
        } catch (UserError none) {
            return true;
        }
    }

    /**
     * With Spark: accumulation multiplied by the executors (each takes one share of a step's micro-batches),
     * so a step trains on the examples a single machine with that accumulation trains on.
     */
    private static FinetuneSettings perExecutorShares(FinetuneSettings s) {
        if (s.spark() == null) return s;
        long shares = (long) s.training().gradientAccumulationSteps() * s.spark().executors();
        if (shares > Integer.MAX_VALUE) {
            throw new UserError("--gradient_accumulation_steps " + s.training().gradientAccumulationSteps() + " × --spark_executors "
                    + s.spark().executors() + " micro-batches per step is more than can be counted; pass a smaller accumulation");
        }
        if (!s.costEmbedding().equals("frozen")) {
            throw new UserError("--cost_embedding " + s.costEmbedding() + ": with --spark_master only the frozen head is supported; leave the flag out");
        }
        dev.emo.distributed.SparkTraining.checkReachable(s.spark().master());
        return s.withTraining(s.training().withAccumulation(s.training().gradientAccumulationSteps() * s.spark().executors()));
    }

    /** The settings' LoRA with the family's default targets filled in, or null. */
    private static LoraSpec loraSpec(FinetuneSettings s) {
        if (s.lora() == null) return null;
        FinetuneSettings.Lora l = s.lora();
        List<String> targets = l.targetModules().isEmpty() ? ModelFamilies.of(ModelFamilies.config(s.model())).defaultLoraTargets() : l.targetModules();
        return new LoraSpec(l.r(), l.alpha(), l.dropout(), targets);
    }

    /** Each target module must name at least one weight of the model. */
    private static void checkTargets(FinetuneSettings s, dev.emo.models.CausalLM model, LoraSpec spec) {
        for (String target : spec.targetModules()) {
            LoraSpec one = new LoraSpec(spec.r(), spec.alpha(), spec.dropout(), List.of(target));
            Map<String, long[]> shapes = model.parameterShapes();   // packed projections too
            if (shapes.keySet().stream().noneMatch(one::targets)) {
                throw UserError.of(s.model().resolve("config.json"), "--lora_target_modules " + target + " names no layer of this "
                        + model.config().modelType() + " model", "pass module names such as "
                        + ModelFamilies.of(model.config()).defaultLoraTargets() + " (the last part of a weight's name)");
            }
            // A is r × in and B out × r: a rank beyond the narrower side adds parameters and no expressiveness
            long width = shapes.entrySet().stream().filter(e -> one.targets(e.getKey()) && e.getValue() != null
                    && e.getValue().length == 2).mapToLong(e -> Math.min(e.getValue()[0], e.getValue()[1]))
                    .min().orElse(Long.MAX_VALUE);
            if (spec.r() > width) {
                throw UserError.of(s.model().resolve("config.json"), "--lora_r " + spec.r() + " is more than the width " + width + " of "
                        + target, "pass --lora_r " + width + " or less");
            }
        }
    }

    /**
     * A model's folder (config.json beside weights, no run.json) is not a run folder: a run written
     * into it would mix checkpoints and metrics with the model's files, and an overwrite would delete them.
     */
    private static void refuseModelFolderAsOutput(FinetuneSettings s) {
        Path out = s.outputDir();
        boolean modelThere = Files.isRegularFile(out.resolve("config.json")) && !Files.exists(out.resolve(RunRecord.FILE));
        boolean same = Files.isDirectory(out) && Files.isDirectory(s.model()) && sameFile(out, s.model());
        if (modelThere || same) {
            throw UserError.of(out, same ? "is the model's own folder (--model)" : "holds a model (config.json), not a run",
                    "pass a new or empty folder as --output_dir, e.g. runs/" + s.model().toAbsolutePath().normalize().getFileName() + "-tuned");
        }
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** Paths an overwrite must not delete. */
    private static List<Path> inputs(FinetuneSettings s) {
        List<Path> in = new ArrayList<>(Arrays.asList(s.model(), s.trainFile(), s.validationFile(), s.testFile(), s.instruction().chatTemplate()));
        if (!s.costEmbedding().equals("frozen") && !s.costEmbedding().equals("current")) in.add(Path.of(s.costEmbedding()));
        return in;
    }

    public Plan plan() {
        TrainingArgs t = settings.training();
        return new Plan(settings.model(), settings.outputDir(), settings.objective().toString(), train.size(), validation.size(),
                test == null ? 0 : test.size(), settings.blockSize(), t.totalSteps(train.size()),
                (long) t.perDeviceTrainBatchSize() * t.gradientAccumulationSteps() * (train.labels() == null ? settings.blockSize() : train.tokens() / train.size()),
                resumeStep);
    }

    /** Runs the job once: locks the run folder for its duration. */
    public Result run(Listener listener) {
        if (used) throw new IllegalStateException("a FinetuneJob runs once; prepare another");
        used = true;
        Plan plan = plan();
        // Spark first: a cluster that cannot take the application fails the run before its folder is touched
        try (dev.emo.distributed.SparkTraining spark = settings.spark() == null ? null
                : dev.emo.distributed.SparkTraining.connect(settings.spark().master(), settings.spark().executors(),
                new dev.emo.distributed.ShardGradients.Spec(settings.model().toAbsolutePath().normalize().toString(),
                        loaded.model().lora(), settings.objective(), settings.training().gradientCheckpointing(),
                        loaded.model().baseDtype()), loaded.model());
             RunFolder run = RunFolder.acquire(settings.outputDir(), settings.overwriteOutputDir(), settings.resuming())) {
            FineTuner tuner = new FineTuner(loaded, settings.model(), settings.training(), settings.objective(), cost, run);
            tuner.adaptiveCostEmbedding(costSource == CostEmbedding.Source.CURRENT);
            tuner.runSettings(trajectory);
            tuner.mergeLora(settings.lora() == null || settings.lora().merge());
            if (spark != null) tuner.gradientSource(spark.gradients());
            String now = Instant.now().toString();
            RunRecord record;
            if (checkpoint != null) {
                tuner.resume(checkpoint);
                run.truncateMetricsAfter(tuner.step());
                carryBestModel(tuner, run);
                record = (previous != null ? previous : fresh(now)).resumedAt(now, checkpoint);
            } else {
                record = fresh(now);
            }
            run.writeRunJson(record);
            listener.started(plan);

            FineTuner.Eval valBefore = tuner.evaluate(validation), testBefore = test == null ? null : tuner.evaluate(test);
            long stepsBefore = tuner.step();
            long t0 = System.nanoTime();
            tuner.onStep(step -> listener.step(step, tuner.stepLosses().get(tuner.stepLosses().size() - 1)));
            tuner.train(train, validation);
            double secs = (System.nanoTime() - t0) / 1e9;
            FineTuner.Eval valAfter = tuner.evaluate(validation), testAfter = test == null ? null : tuner.evaluate(test);
            double tokensPerSecond = (tuner.step() - stepsBefore) * (double) plan.tokensPerStep() / Math.max(secs, 1e-9);

            record = record.finishedWith(Instant.now().toString(), new RunRecord.Result(valBefore.perplexity(), valAfter.perplexity(),
                    testBefore == null ? null : testBefore.perplexity(), testAfter == null ? null : testAfter.perplexity(), secs,
                    tuner.bestStep()));
            run.writeRunJson(record);
            return new Result(run.dir(), valBefore, valAfter, testBefore, testAfter, secs, tokensPerSecond, tuner.bestStep());
        }
    }

    /**
     * Resumed into another folder: the best model so far is copied from the checkpoint's run, so
     * best/ stays the best of the whole run; with no best/ to copy, tracking starts afresh.
     */
    private void carryBestModel(FineTuner tuner, RunFolder run) {
        Path bestHere = run.dir().resolve("best"), bestThere = checkpoint.toAbsolutePath().getParent().resolve("best");
        if (Files.isDirectory(bestHere) || tuner.bestStep() < 0) return;
        if (!Files.isDirectory(bestThere)) {
            tuner.forgetBest();
            return;
        }
        run.stage("best", staged -> {
            try (var files = Files.list(bestThere)) {
                for (Path f : files.toList()) Files.copy(f, staged.resolve(f.getFileName().toString()));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    private RunRecord fresh(String now) {
        TrainingArgs t = settings.training();
        Runtime rt = Runtime.getRuntime();
        String hostName;
        try {
            hostName = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            hostName = "unknown";
        }
        return new RunRecord("finetune",
                new RunRecord.Settings(settings.objective().toString(), settings.costEmbedding(), settings.blockSize(), settings.lineByLine(),
                        settings.maxTrainSamples(), settings.maxEvalSamples(), settings.validationSplitPercentage(), t,
                        loaded.model().lora() == null ? null : new RunRecord.Lora(loaded.model().lora().r(), loaded.model().lora().alpha(),
                                loaded.model().lora().dropout(), loaded.model().lora().targetModules(), settings.lora().merge()),
                        instruction == null ? null : instruction.record(settings)),
                modelRef, dataHashes,
                new RunRecord.Examples(train.size(), validation.size(), test == null ? 0 : test.size(), train.tokens()),
                Map.of("java", System.getProperty("java.version"), "nd4j", "1.0.0-M2.1", "emo-dl4j", "0.1.0"),
                new RunRecord.Host(hostName, rt.availableProcessors(), System.getProperty("os.name") + " " + System.getProperty("os.arch")),
                now, null, null, null, null);
    }

    private static List<int[]> docs(FinetuneSettings s, Path file, Tokenizer tok) {
        return TokenizedCache.tokenize(file, TextFiles.detect(file), s.textColumn(), tok, s.model(), EmoHome.tokenizedCache());
    }

    /** Grouped blocks (or padded lines); {@code ifEmpty} says what to do about a file too short for one. */
    private static Blocks.Examples examples(FinetuneSettings s, List<int[]> docs, Tokenizer tok, Supplier<UserError> ifEmpty) {
        Blocks.Examples e = s.lineByLine() ? Blocks.lineByLine(docs, s.blockSize(), Math.max(0, tok.padId()))
                : Blocks.grouped(docs, s.blockSize());
        if (e.size() == 0) throw ifEmpty.get();
        return e;
    }

    private static UserError noExample(FinetuneSettings s, Path file) {
        return UserError.of(file, "gives no example of " + s.blockSize() + " tokens", "use a larger file or a smaller --block_size");
    }

    private static Blocks.Examples limit(Blocks.Examples e, int max) {
        if (max <= 0 || max >= e.size()) return e;
        return e.first(max);
    }
}

package dev.emo.cli;

import dev.emo.bench.ForwardBenchmark;
import dev.emo.bench.GenerationBenchmark;
import dev.emo.bench.MemoryReport;
import dev.emo.bench.MauveBenchmark;
import dev.emo.bench.SparkBenchmark;
import dev.emo.bench.TrainStepBenchmark;
import dev.emo.bench.TrainingFlops;
import dev.emo.lowbit.BaseDType;
import dev.emo.models.ModelConfig;
import dev.emo.objectives.Objective;
import dev.emo.registry.Architectures;
import dev.emo.registry.MemoryEstimate;
import dev.emo.registry.ModelShapes;
import dev.emo.util.MemoryBudget;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks (numbers only, no pass/fail) on reference-sized models with random weights.")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--what", defaultValue = "forward",
            description = "forward | train | memory (train's memory estimate, printed) | generate | mauve | spark (default: ${DEFAULT-VALUE})")
    String what;

    @Option(names = "--objectives", defaultValue = "mle,emo,mixce,tailr", split = ",",
            description = "train: objectives to time (default: ${DEFAULT-VALUE})")
    java.util.List<String> objectives;

    @Option(names = "--micro_batch", defaultValue = "0",
            description = "train: sequences per forward/backward pass, accumulated to --batch (0 = --batch)")
    int microBatch;

    @Option(names = "--lora_r", defaultValue = "0", description = "train: LoRA adapters of this rank on the family's default targets, α = 2r (0 = full fine-tuning)")
    int loraR;

    @Option(names = "--base_dtype", defaultValue = "auto", description = "train, memory: how the frozen base's projections are kept, "
            + "auto|float32|bfloat16|float16|q8_0 (auto: bfloat16 with --lora_r > 0, float32 for full fine-tuning; default: ${DEFAULT-VALUE})")
    String baseDtype;

    @Option(names = "--gradient_checkpointing", description = "train, memory: keep each layer's input only and recompute the layer in the backward pass")
    boolean gradientCheckpointing;

    @Option(names = "--steps", defaultValue = "6", description = "train: steps per objective (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--arch", defaultValue = "gpt2-small", completionCandidates = ArchNames.class,
            description = "one of the registry's sizes: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    String arch;

    @Option(names = "--batch", defaultValue = "8", description = "default: ${DEFAULT-VALUE}")
    int batch;

    @Option(names = "--length", defaultValue = "256", description = "default: ${DEFAULT-VALUE}")
    int length;

    @Option(names = "--new_tokens", defaultValue = "32", description = "generate: tokens sampled per prompt (default: ${DEFAULT-VALUE})")
    int newTokens;

    @Option(names = "--rows", defaultValue = "5000", description = "mauve: feature rows per side (default: ${DEFAULT-VALUE})")
    int rows;

    @Option(names = "--dim", defaultValue = "1280", description = "mauve: feature width, GPT-2 large's by default (default: ${DEFAULT-VALUE})")
    int dim;

    @Option(names = "--reps", defaultValue = "3", description = "timed repetitions after one warm-up (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--uncached", description = "generate: also time sampling without the KV cache (slow)")
    boolean uncached;

    @Option(names = "--executors", defaultValue = "2", description = "spark: executors on a loopback cluster, one Worker JVM each (default: ${DEFAULT-VALUE}); "
            + "each step's batch is --batch per executor")
    int executors;

    @Option(names = "--worker_memory", defaultValue = "5g", description = "spark: memory of each Worker (default: ${DEFAULT-VALUE})")
    String workerMemory;

    @Option(names = "--json", description = "train, generate: also write the figures to this JSON file")
    java.nio.file.Path json;

    /** The registry's reference sizes, for --arch's help. */
    static final class ArchNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Architectures.names().iterator();
        }
    }

    @Override
    public Integer call() {
        // sizes reach libnd4j as shapes: a zero there crashes the JVM, so each is checked first
        String[] flags = {"--batch", "--length", "--steps", "--new_tokens", "--rows", "--dim", "--reps", "--executors"};
        int[] values = {batch, length, steps, newTokens, rows, dim, reps, executors};
        for (int i = 0; i < flags.length; i++) {
            if (values[i] < 1) throw new dev.emo.UserError(flags[i] + " " + values[i] + ": must be at least 1");
        }
        if (loraR < 0) throw new dev.emo.UserError("--lora_r " + loraR + ": must be 0 (full fine-tuning) or a rank ≥ 1");
        if (microBatch < 0 || (microBatch > 0 && batch % microBatch != 0)) {
            throw new dev.emo.UserError("--micro_batch " + microBatch + ": must be 0 (none) or divide --batch " + batch);
        }
        if (!java.util.List.of("forward", "train", "memory", "generate", "mauve", "spark").contains(what)) {
            throw new dev.emo.UserError("--what " + what + ": unknown benchmark; use forward, train, memory, generate, mauve or spark");
        }
        BaseDType base = what.equals("train") || what.equals("memory") ? base() : null;
        if (what.equals("train")) dev.emo.util.Lists.requireDistinct("--objectives", objectives);
        if (!what.equals("mauve")) checkAgainstArch();
        checkJsonTarget();
        if (what.equals("memory")) return memory(base);
        if (what.equals("train")) return train(base, requireMemory(base));
        if (what.equals("generate")) return generate();
        if (what.equals("mauve")) return mauve();
        if (what.equals("spark")) return spark();
        ForwardBenchmark.Result r = ForwardBenchmark.run(arch, batch, length, 1, reps);
        System.out.printf("forward %s batch %dx%d: %.0f tokens/s (s per pass: %s), peak RSS %d MB, %d cores%n",
                r.arch(), r.batch(), r.length(), r.tokensPerSecond(), Arrays.toString(r.seconds()), r.peakRssMb(),
                Runtime.getRuntime().availableProcessors());
        return 0;
    }

    /** --base_dtype resolved: "auto" takes the random weights as a bfloat16 checkpoint's (bench has none). */
    private BaseDType base() {
        BaseDType base = baseDtype.equalsIgnoreCase("auto") ? BaseDType.auto("BF16", loraR > 0) : BaseDType.parse(baseDtype);
        if (base == null) throw new dev.emo.UserError("--base_dtype " + baseDtype + ": unknown; use " + BaseDType.choices());
        if (base.packed() && loraR == 0) {
            throw dev.emo.UserError.of("--base_dtype " + base.flag(), "a packed base is frozen, and full fine-tuning (--lora_r 0) trains "
                    + "every weight in float32", "pass --lora_r 16 (LoRA adapters on the packed base) or --base_dtype float32");
        }
        return base;
    }

    /** What one training pass holds at these flags: --micro_batch rows (else --batch), the heaviest objective's loss buffers. */
    private MemoryEstimate.Setting memorySetting(BaseDType base) {
        boolean demd = objectives.stream().anyMatch(o -> Objective.of(o).needsDemd());
        return new MemoryEstimate.Setting(TrainStepBenchmark.lora(arch, loraR), base, gradientCheckpointing,
                microBatch > 0 ? microBatch : batch, length, demd);
    }

    /** The whole step's estimate against this JVM, refused in one line (naming the flags that fit) before any weight exists. */
    private ModelShapes requireMemory(BaseDType base) {
        ModelShapes shapes = ModelShapes.of(Architectures.config(arch));
        MemoryEstimate.require("bench --arch " + arch, shapes, memorySetting(base), microBatch > 0 ? "--micro_batch" : "--batch");
        return shapes;
    }

    private int memory(BaseDType base) {
        ModelShapes shapes = ModelShapes.of(Architectures.config(arch));
        MemoryEstimate e = MemoryEstimate.of(shapes, memorySetting(base));
        System.out.print(MemoryReport.of(arch, e, shapes, MemoryEstimate.Budget.ofThisJvm()));
        return 0;
    }

    /**
     * The lengths against the architecture's positions (a position beyond them is read out of bounds in
     * native code: SIGSEGV) and batch × length against this machine's memory, before any model is built
     * (train's whole step: {@link #requireMemory}).
     */
    private void checkAgainstArch() {
        ModelConfig c = Architectures.config(arch);
        String where = "bench --arch " + arch;
        boolean gen = what.equals("generate");
        long tokens = gen ? (long) length + newTokens : length;
        if (tokens > c.maxPositions()) {
            throw dev.emo.UserError.of(where, (gen ? "--length " + length + " + --new_tokens " + newTokens : "--length " + length)
                    + " exceeds the model's " + c.maxPositions() + " positions",
                    "pass --length " + Math.max(1, c.maxPositions() - (gen ? newTokens : 0)) + " or less");
        }
        if (loraR > c.hiddenSize()) {
            throw dev.emo.UserError.of(where, "--lora_r " + loraR + " is more than the layers' width " + c.hiddenSize(), "pass --lora_r " + c.hiddenSize() + " or less");
        }
        // memory: a printed estimate, any size may be asked about; train: MemoryEstimate checks the whole step (requireMemory)
        if (what.equals("memory") || what.equals("train")) return;
        boolean training = what.equals("spark");
        MemoryBudget.require(where, "--batch " + batch + " × " + tokens + " tokens", c.activationBytes(batch, tokens, training),
                "pass --batch " + MemoryBudget.largestFitting(n -> c.activationBytes(n, tokens, training), batch)
                        + " or less, or a shorter --length");
    }

    /** --json's folder must exist now, not after the whole benchmark has run. */
    private void checkJsonTarget() {
        if (json == null) return;
        if (java.nio.file.Files.isDirectory(json)) throw dev.emo.UserError.of(json, "is a folder", "pass a file name for --json");
        java.nio.file.Path parent = json.toAbsolutePath().getParent();
        if (!java.nio.file.Files.isDirectory(parent)) {
            throw dev.emo.UserError.of(parent, "not found (the folder --json goes into)", "create it first, or pass another --json path");
        }
    }

    private int spark() {
        java.nio.file.Path work;
        try {
            work = java.nio.file.Files.createTempDirectory(dev.emo.EmoHome.dir(), "bench-spark");
        } catch (java.io.IOException e) {
            throw new dev.emo.UserError(dev.emo.EmoHome.dir() + ": cannot create a folder for the cluster (" + e.getMessage() + "); set EMO_HOME to a writable folder");
        }
        System.out.printf("data-parallel gradient steps, %s, %d executors × %dx%d, loopback cluster (one core per executor) in %s%n",
                arch, executors, batch, length, work);
        SparkBenchmark.Result r = SparkBenchmark.run(arch, executors, batch, length, steps, work, workerMemory);
        var later = r.steps().subList(Math.min(1, r.steps().size() - 1), r.steps().size());   // step 0 builds the executors' graphs
        double wall = later.stream().mapToDouble(t -> t.wallSeconds()).average().orElse(0);
        double compute = later.stream().mapToDouble(t -> t.computeSeconds()).average().orElse(0);
        long bytes = r.steps().get(0).bytesPerExecutorEachWay();
        System.out.printf("mean of steps 1..%d: %.2f s per step = %.2f s compute + %.2f s communication and scheduling (%.0f %%); "
                + "%.1f MB to and from each executor per step%n", r.steps().size() - 1, wall, compute, wall - compute,
                100 * (wall - compute) / wall, bytes / 1e6);
        writeJson(java.util.Map.of("seconds_per_step", wall, "compute_seconds", compute, "communication_seconds", wall - compute,
                "bytes_per_executor_each_way", bytes, "executors", executors));
        return 0;
    }

    private int mauve() {
        MauveBenchmark.Result r = MauveBenchmark.run(rows, rows, dim, 0.5);
        System.out.printf("MAUVE on %d + %d synthetic rows × %d: %d buckets, PCA %d dims, MAUVE %.4f, %.1f s, RSS %d MB, %d cores%n",
                r.nP(), r.nQ(), r.d(), r.numBuckets(), r.pcaDim(), r.mauve(), r.seconds(), r.peakRssMb(),
                Runtime.getRuntime().availableProcessors());
        return 0;
    }

    private int generate() {
        GenerationBenchmark.Result r = GenerationBenchmark.run(arch, batch, length, newTokens, uncached);
        System.out.printf("ancestral sampling, %s, %d prompts of %d tokens, %d new tokens each, %d cores, end to end (prefill included):%n"
                        + "  with KV cache    %7.1f s  %6.1f tokens/s%n", r.arch(), r.batch(), r.promptLength(), r.newTokens(),
                Runtime.getRuntime().availableProcessors(), r.cachedSeconds(), r.cachedTokensPerSecond());
        if (uncached) {
            System.out.printf("  without KV cache %7.1f s  %6.1f tokens/s  (cache speed-up x%.1f)%n",
                    r.uncachedSeconds(), r.uncachedTokensPerSecond(), r.uncachedSeconds() / r.cachedSeconds());
        }
        System.out.printf("  peak RSS %d MB%n", r.peakRssMb());
        System.out.print(GenerationBenchmark.opProfile());
        writeJson(java.util.Map.of("tokens_per_s", r.cachedTokensPerSecond(), "seconds", r.cachedSeconds(),
                "peak_rss_mb", r.peakRssMb(), "batch", r.batch(), "prompt_length", r.promptLength(), "new_tokens", r.newTokens()));
        return 0;
    }

    /** The figures for scripts (bench/compare.sh reads these, never the console text). */
    private void writeJson(Object figures) {
        if (json == null) return;
        try {
            new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(json.toFile(), figures);
        } catch (java.io.IOException e) {
            throw new dev.emo.UserError(json + ": cannot write the benchmark figures (" + e.getMessage() + "); choose a writable path");
        }
    }

    private int train(BaseDType dtype, ModelShapes shapes) {
        java.util.List<TrainStepBenchmark.Result> results = new java.util.ArrayList<>();
        for (String o : objectives) {
            results.add(TrainStepBenchmark.run(arch, Objective.of(o), batch, microBatch > 0 ? microBatch : batch, length, steps, 1, loraR,
                    dtype, gradientCheckpointing));
            System.gc();   // the previous objective's model, moments and loss buffers, before the next one is measured
        }
        double flops = TrainingFlops.perStep(shapes, TrainStepBenchmark.lora(arch, loraR), gradientCheckpointing, batch, length);
        System.out.printf("%ntraining step, %s, batch %dx%d (micro-batch %d), %s, %s base%s, %d cores (median of steps 2..%d)%n", arch, batch,
                length, microBatch > 0 ? microBatch : batch, loraR > 0 ? "LoRA r " + loraR : "full fine-tuning", dtype.flag(),
                gradientCheckpointing ? ", gradient checkpointing" : "", Runtime.getRuntime().availableProcessors(), steps);
        System.out.printf("  %.1f GFLOP a step (bench.TrainingFlops: weight and attention products, full T² scores)%n", flops / 1e9);
        double base = results.get(0).medianSeconds();
        java.util.Map<String, Object> figures = new java.util.LinkedHashMap<>();
        for (TrainStepBenchmark.Result r : results) {
            long peak = Arrays.stream(r.rssMb()).max().orElse(-1);
            double gflops = flops / r.medianSeconds() / 1e9;
            System.out.printf("  %-8s %7.2f s/step  %6.1f tokens/s  %5.1f GFLOP/s  x%.2f of %s  peak RSS %d MB  RSS by step %s%n",
                    r.objective(), r.medianSeconds(), r.tokensPerSecond(), gflops, r.medianSeconds() / base,
                    results.get(0).objective(), peak, Arrays.toString(r.rssMb()));
            figures.put(r.kind(), java.util.Map.of("tokens_per_s", r.tokensPerSecond(), "seconds_per_step", r.medianSeconds(),
                    "peak_rss_mb", peak, "rss_mb_by_step", r.rssMb(), "seconds_by_step", r.seconds(), "gflops_per_s", gflops));
        }
        writeJson(figures);
        return 0;
    }
}

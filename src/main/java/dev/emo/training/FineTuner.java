package dev.emo.training;

import dev.emo.UserError;
import dev.emo.util.Rss;
import dev.emo.data.Blocks;
import dev.emo.models.CausalLM;
import dev.emo.registry.Models;
import dev.emo.objectives.FusedLmLoss;
import dev.emo.objectives.Objective;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.LongConsumer;

/**
 * The training loop: micro-batches of the grouped examples in a seeded order, gradients
 * accumulated, clipped to a global norm, AdamW on a linear schedule; evaluation (true perplexity =
 * exp of the token-mean MLE, whatever the objective) every eval_steps and at epoch ends;
 * checkpoints written to a temporary folder and renamed; the best model (by validation loss)
 * exported to best/ in the input's ONNX layout.
 *
 * <p>Exact resume: the order of epoch e is a shuffle seeded by (seed, e), so a checkpoint needs only
 * its step, epoch and position in the epoch, the weights, the Adam moments and the frozen cost
 * embedding.
 */
public final class FineTuner {
    private static final Logger LOG = LogManager.getLogger(FineTuner.class);

    private final CausalLM model;
    private final dev.emo.registry.ModelSource source;
    private final Path modelDir;
    private String baseSha256;   // of the base weights, recorded in each adapter export
    private final TrainingArgs args;
    private final Objective objective;
    private final RunFolder run;
    private final AdamW optimizer;
    private INDArray costEmbed;
    private final List<Double> stepLosses = new ArrayList<>();

    private long step;
    private int epoch;
    private long position;        // micro-batches consumed in the current epoch
    private double bestEvalLoss = Double.POSITIVE_INFINITY;
    private long bestStep = -1;
    private long lastGoodCheckpoint = -1;
    private LongConsumer progress = s -> { };
    private boolean adaptiveCost;
    private Map<String, String> runSettings = Map.of();
    private boolean mergeLora = true;
    private GradientSource gradients;    // null until first used: then this JVM's trainer, unless gradientSource(...) set one

    public FineTuner(Models.Loaded loaded, Path modelDir, TrainingArgs args, Objective objective, INDArray costEmbed, RunFolder run) {
        this.model = loaded.model();
        this.source = loaded.source();
        this.modelDir = modelDir;
        this.args = args;
        this.objective = objective;
        this.costEmbed = costEmbed;
        this.run = run;
        this.optimizer = new AdamW(args.adamBeta1(), args.adamBeta2(), args.adamEpsilon(), args.weightDecay(),
                dev.emo.registry.ModelFamilies.of(model.config())::decays);
    }

    /** EMO's "adaptive" variant: the cost embedding is the current head, detached, re-read every step. */
    public void adaptiveCostEmbedding(boolean on) {
        this.adaptiveCost = on;
    }

    public void onStep(LongConsumer listener) {
        this.progress = listener;
    }

    /** The objective's loss of every optimizer step so far (for resume checks). */
    public List<Double> stepLosses() {
        return stepLosses;
    }

    public long step() {
        return step;
    }

    public long bestStep() {
        return bestStep;
    }

    /** Token-weighted evaluation: mean MLE (→ perplexity) and the objective's own value. */
    public record Eval(double mle, double objectiveLoss, long tokens) {
        public double perplexity() {
            return Math.exp(mle);
        }
    }

    public Eval evaluate(Blocks.Examples data) {
        List<Batch> batches = new ArrayList<>();
        int bs = args.perDeviceEvalBatchSize();
        for (int start = 0; start < data.size(); start += bs) {
            int[] rows = new int[Math.min(bs, data.size() - start)];
            for (int i = 0; i < rows.length; i++) rows[i] = start + i;
            batches.add(batch(data, rows));
        }
        GradientSource.EvalSum s = gradients().evaluate(batches, new FusedLmLoss(objective), costEmbed);
        return new Eval(s.mleSum() / Math.max(1, s.tokens()), s.objectiveSum() / Math.max(1, s.tokens()), s.tokens());
    }

    /** Trains to the end; returns the last evaluation. */
    public Eval train(Blocks.Examples trainData, Blocks.Examples evalData) {
        long total = args.totalSteps(trainData.size());
        long perEpoch = args.stepsPerEpoch(trainData.size());
        LinearSchedule schedule = new LinearSchedule(args.learningRate(), args.warmup(total), total);
        int accum = args.gradientAccumulationSteps();
        FusedLmLoss loss = new FusedLmLoss(objective);
        Eval last = null;
        long tokensSinceLog = 0, guardedSinceLog = 0, t0 = System.nanoTime();
        while (step < total) {
            List<Integer> order = order(trainData.size(), epoch);
            long microPerEpoch = perEpoch * accum;
            while (position < microPerEpoch && step < total) {
                if (adaptiveCost) costEmbed = dev.emo.objectives.CostEmbedding.normalizedCopy(model.lmHead().getArr());
                List<Batch> micro = new ArrayList<>(accum);
                List<Long> seeds = new ArrayList<>(accum);
                for (int a = 0; a < accum; a++, position++) {
                    micro.add(batch(trainData, rows(order, position, args.perDeviceTrainBatchSize())));
                    seeds.add(args.seed() * 1_000_003L + step * 1_009L + a);   // LoRA dropout: the same masks on resume
                }
                GradientSource.Sum s = gradients().sum(micro, seeds, loss, costEmbed);
                Map<String, INDArray> sum = s.grads();
                double lossMean = s.lossSum() / accum, mleMean = s.mleSum() / accum;
                tokensSinceLog += s.tokens();
                guardedSinceLog += s.guarded();
                if (!Double.isFinite(lossMean)) {
                    throw new UserError("training loss became " + lossMean + " at step " + (step + 1) + "; "
                            + (lastGoodCheckpoint >= 0 ? "the last good checkpoint is " + run.dir().resolve("checkpoint-" + lastGoodCheckpoint)
                            : "no checkpoint was written yet") + "; lower --learning_rate or set --max_grad_norm");
                }
                if (accum > 1) for (INDArray g : sum.values()) g.divi(accum);
                double norm = clip(sum, args.maxGradNorm());
                double lr = schedule.at(step);
                optimizer.step(model.trainableWeights(), sum, lr);
                gradients().recycle(sum);
                step++;
                stepLosses.add(lossMean);
                progress.accept(step);

                boolean epochEnd = position >= microPerEpoch;
                boolean doEval = evalData != null && ((args.evalSteps() > 0 && step % args.evalSteps() == 0) || epochEnd || step == total);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("step", step);
                row.put("epoch", String.format("%.4f", epoch + (double) position / microPerEpoch));
                row.put("lr", lr);
                row.put("train_loss", lossMean);
                row.put("train_mle", mleMean);
                double secs = (System.nanoTime() - t0) / 1e9;
                row.put("tokens_per_s", String.format("%.1f", tokensSinceLog / secs));
                row.put("rss_mb", Rss.currentMb());
                if (doEval) {
                    last = evaluate(evalData);
                    row.put("eval_loss", last.objectiveLoss());
                    row.put("eval_mle", last.mle());
                    row.put("eval_ppl", last.perplexity());
                    if (last.objectiveLoss() < bestEvalLoss) {
                        bestEvalLoss = last.objectiveLoss();
                        bestStep = step;
                        exportBest();
                    }
                }
                if (doEval || step % Math.max(1, args.loggingSteps()) == 0) {
                    run.appendMetrics(row);
                    LOG.info("step {}/{} epoch {} lr {} loss {} mle {} |g| {}{} {} tok/s{}", step, total, row.get("epoch"),
                            String.format("%.2e", lr), String.format("%.4f", lossMean), String.format("%.4f", mleMean),
                            String.format("%.3f", norm), doEval ? String.format(" eval ppl %.3f", last.perplexity()) : "",
                            row.get("tokens_per_s"), guardedSinceLog > 0
                                    ? " (DEMD ≤ 0 on " + guardedSinceLog + " confident tokens: their DEMD weight clamped to 0)" : "");
                    tokensSinceLog = 0;
                    guardedSinceLog = 0;
                    t0 = System.nanoTime();
                }
                boolean doSave = (args.saveSteps() > 0 && step % args.saveSteps() == 0) || epochEnd || step == total
                        || (args.saveSteps() == 0 && doEval);
                if (doSave) checkpoint();
            }
            if (position >= microPerEpoch) {
                epoch++;
                position = 0;
            }
        }
        return last;
    }

    private List<Integer> order(int n, int e) {
        List<Integer> idx = new ArrayList<>(n);
        for (int i = 0; i < n; i++) idx.add(i);
        Collections.shuffle(idx, new Random(args.seed() * 1_000_003L + e));
        return idx;
    }

    private static int[] rows(List<Integer> order, long micro, int bs) {
        int[] r = new int[bs];
        for (int i = 0; i < bs; i++) r[i] = order.get((int) ((micro * bs + i) % order.size()));
        return r;
    }

    /**
     * The rows as one batch, right-padded to the longest (run_clm's rows are all blockSize long): padding has
     * mask 0, label -100 and segment 0.
     */
    static Batch batch(Blocks.Examples data, int[] rows) {
        int t = 0;
        for (int r : rows) t = Math.max(t, data.ids()[r].length);
        long[] ids = new long[rows.length * t], mask = new long[rows.length * t];
        long[] labels = data.labels() == null ? null : new long[rows.length * t], segments = data.segments() == null ? null : new long[rows.length * t];
        if (labels != null) Arrays.fill(labels, FusedLmLoss.IGNORE);
        for (int i = 0; i < rows.length; i++) {
            int len = data.ids()[rows[i]].length;
            System.arraycopy(data.ids()[rows[i]], 0, ids, i * t, len);
            System.arraycopy(data.mask()[rows[i]], 0, mask, i * t, len);
            if (labels != null) System.arraycopy(data.labels()[rows[i]], 0, labels, i * t, len);
            if (segments != null) System.arraycopy(data.segments()[rows[i]], 0, segments, i * t, len);
        }
        return new Batch(matrix(ids, rows.length, t), matrix(mask, rows.length, t), matrix(labels, rows.length, t), matrix(segments, rows.length, t));
    }

    private static INDArray matrix(long[] values, int rows, int cols) {
        return values == null ? null : Nd4j.createFromArray(values).reshape(rows, cols);
    }

    /** Next-token targets, ignoring padding (labels = ids where the mask is 1, −100 elsewhere). */
    public static int[] targets(INDArray ids, INDArray mask) {
        INDArray labels = ids.dup();
        long[] m = mask.reshape(-1).toLongVector();
        INDArray flat = labels.reshape(-1);
        for (int i = 0; i < m.length; i++) if (m[i] == 0) flat.putScalar(i, FusedLmLoss.IGNORE);
        return FusedLmLoss.shiftedTargets(labels);
    }

    /** Scales the gradients in place to a global L2 norm of at most maxNorm (≤ 0: no clipping); returns the norm before. */
    static double clip(Map<String, INDArray> grads, double maxNorm) {
        double sq = 0;
        for (INDArray g : grads.values()) {
            double n = g.norm2Number().doubleValue();
            sq += n * n;
        }
        double norm = Math.sqrt(sq);
        if (maxNorm > 0 && norm > maxNorm) {
            double scale = maxNorm / (norm + 1e-6);
            for (INDArray g : grads.values()) g.muli(scale);
        }
        return norm;
    }

    // ---------------------------------------------------------------- checkpoints

    /**
     * best/: the model in the input's format (with LoRA: the adapters merged in, unless
     * {@link #mergeLora} is off), and with LoRA also the adapters in PEFT's files.
     */
    private void exportBest() {
        run.stage("best", staged -> {
            if (model.lora() == null || mergeLora) source.writeMerged(model, modelDir, staged);   // safetensors: streamed, in the base's dtype
            else dev.emo.onnx.ModelFolderWriter.copySideFiles(modelDir, staged);   // config and tokenizer beside the adapters: the folder still loads (with its base)
            if (model.lora() != null) writeAdapters(staged);
        });
    }

    private void writeAdapters(Path dir) {
        try {
            if (baseSha256 == null) baseSha256 = dev.emo.util.Hashes.sha256(source.file());   // once: the base does not change
            dev.emo.registry.PeftAdapter.write(model, modelDir.toAbsolutePath().normalize().toString(), baseSha256, dir);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The source of gradients and evaluations: built here on first use, so a run on Spark never builds a local gradient function. */
    private GradientSource gradients() {
        if (gradients == null) gradients = GradientSource.local(new GraphTrainer(model, args.gradientCheckpointing()));
        return gradients;
    }

    /**
     * Where each step's micro-batch gradients are computed: this JVM (the default) or a cluster's
     * executors (each its share, the same trainer code); the loop, optimizer and checkpoints are the same.
     */
    public void gradientSource(GradientSource source) {
        this.gradients = source;
    }

    /** With LoRA: whether best/ also holds the merged model in the input's format (PEFT's merge_and_unload). */
    public void mergeLora(boolean on) {
        this.mergeLora = on;
    }

    private void checkpoint() {
        CheckpointState state = new CheckpointState(run.dir().resolve("checkpoint-" + step), step, epoch, position,
                optimizer.stepCount(), Double.isFinite(bestEvalLoss) ? bestEvalLoss : null, bestStep, stepLosses, runSettings);
        run.stage("checkpoint-" + step, staged -> {
            if (model.lora() == null) source.writeFolder(model, model.weights(), modelDir, staged);
            else writeAdapters(staged);          // the base is the input model, unchanged
            Map<String, INDArray> moments = new LinkedHashMap<>();
            optimizer.firstMoments().forEach((k, v) -> moments.put("m/" + k, v));
            optimizer.secondMoments().forEach((k, v) -> moments.put("v/" + k, v));
            try {
                TensorFile.write(staged.resolve("optimizer.bin"), moments);
                TensorFile.write(staged.resolve("cost_embedding.bin"), Map.of("cost_embedding", costEmbed));
                state.write(staged.resolve(CheckpointState.FILE));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        lastGoodCheckpoint = step;
        keepLastAndBest();
    }

    /** Retention: the newest checkpoint and the best model's checkpoint; older ones go once the new one is in place. */
    private void keepLastAndBest() {
        try (var s = Files.list(run.dir())) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                if (!name.matches("checkpoint-\\d+")) continue;
                long n = Long.parseLong(name.substring(11));
                if (n != step && n != bestStep && n < step) RunFolder.deleteTree(p);
            }
        } catch (IOException e) {
            LOG.warn("could not remove old checkpoints in {}: {}", run.dir(), e.getMessage());
        }
    }

    /** Starts best-model tracking afresh (a run resumed into a folder without the old run's best/). */
    public void forgetBest() {
        bestEvalLoss = Double.POSITIVE_INFINITY;
        bestStep = -1;
    }

    /** The settings that decide the trajectory, written into every checkpoint and required equal on resume. */
    public void runSettings(Map<String, String> settings) {
        this.runSettings = Map.copyOf(settings);
    }

    /** Restores weights, optimizer, cost embedding and position from a checkpoint (read with {@link CheckpointState#read}). */
    public void resume(Path checkpoint) {
        CheckpointState s = CheckpointState.read(checkpoint);
        s.requireSameRun(runSettings);
        if (model.lora() != null) {
            dev.emo.registry.PeftAdapter.load(model, dev.emo.registry.PeftAdapter.read(checkpoint), checkpoint);
        } else {
            Map<String, INDArray> weights = Models.load(checkpoint).model().weights();
            for (var e : model.params().entrySet()) {
                INDArray w = weights.get(e.getKey());
                if (w == null || !java.util.Arrays.equals(w.shape(), e.getValue().getArr().shape())) {
                    throw UserError.of(checkpoint, "its weights do not fit this model (" + e.getKey() + ")",
                            "resume from a checkpoint of this model");
                }
                e.getValue().getArr().assign(w);
            }
        }
        Map<String, INDArray> moments = TensorFile.read(checkpoint.resolve("optimizer.bin"));
        Map<String, INDArray> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
        moments.forEach((k, a) -> (k.startsWith("m/") ? m : v).put(k.substring(2), a));
        if (!m.keySet().equals(model.trainableWeights().keySet()) || !v.keySet().equals(model.trainableWeights().keySet())) {
            throw UserError.of(checkpoint.resolve("optimizer.bin"), "its moments do not match the model's weights",
                    "resume from another checkpoint-N folder");
        }
        optimizer.restore(s.adamStep(), m, v);
        costEmbed = TensorFile.read(checkpoint.resolve("cost_embedding.bin")).get("cost_embedding");
        if (costEmbed == null) {
            throw UserError.of(checkpoint.resolve("cost_embedding.bin"), "holds no cost_embedding", "resume from another checkpoint-N folder");
        }
        step = s.step();
        epoch = s.epoch();
        position = s.position();
        bestEvalLoss = s.bestEvalLoss() == null ? Double.POSITIVE_INFINITY : s.bestEvalLoss();
        bestStep = s.bestStep();
        stepLosses.clear();
        stepLosses.addAll(s.stepLosses());
        lastGoodCheckpoint = step;
        LOG.info("resumed from {} at step {} (epoch {}, micro-batch {})", checkpoint, step, epoch, position);
    }

    public static Path latestCheckpoint(Path runDir) {
        try (var s = Files.list(runDir)) {
            return s.filter(p -> p.getFileName().toString().matches("checkpoint-\\d+") && Files.isDirectory(p)
                            && Files.isRegularFile(p.resolve(CheckpointState.FILE)))
                    .max(java.util.Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().substring(11))))
                    .orElseThrow(() -> UserError.of(runDir, "has no checkpoint-N folder to resume from", "start a new run without --resume_from_checkpoint"));
        } catch (java.nio.file.NoSuchFileException e) {
            throw UserError.of(runDir, "not found, so it has no checkpoint to resume from", "pass the run's --output_dir");
        } catch (IOException e) {
            throw UserError.of(runDir, "cannot be listed (" + e.getMessage() + ")", "check --output_dir");
        }
    }
}

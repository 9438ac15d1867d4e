package dev.emo.jobs;

import dev.emo.UserError;
import dev.emo.embedding.TextEmbedder;
import dev.emo.evaluation.Charts;
import dev.emo.evaluation.EvaluationReport;
import dev.emo.evaluation.Featurizers;
import dev.emo.evaluation.WelchTest;
import dev.emo.evaluation.OpenEndedEvaluation.Summary;
import dev.emo.objectives.Objective;
import dev.emo.training.CheckpointState;
import dev.emo.training.FineTuner;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fine-tunes one model with several objectives × seeds (a {@link FinetuneJob} each, one run folder
 * each) or takes finished run folders, evaluates every run's best model with an
 * {@link EvaluationJob}, and writes a Table-1-style summary (compare.csv) and PNG plots. A finished
 * run is not retrained, an interrupted one resumes from its latest checkpoint, and an evaluation
 * made with the same settings is reused, so an interrupted comparison continues where it stopped.
 *
 * @param finetune   the settings every training run starts from (objective kind, seed and folder replaced); null with {@code runs}
 * @param objectives objective kinds (mle, emo, …), checked before anything trains
 * @param runs       finished run folders to evaluate instead of training, or null
 */
public record CompareJob(FinetuneSettings finetune, List<String> objectives, List<Long> seeds, List<Path> runs,
                         EvaluationSettings evaluation, Path outputDir) {
    public static final String[] HEADER = {"objective", "runs", "mauve", "mauve_sd", "rouge1", "rouge1_sd", "rouge2", "rouge2_sd",
            "rougeL", "rougeL_sd", "test_ppl", "test_ppl_sd", "oracle_ppl", "oracle_ppl_sd", "forward_ce", "forward_ce_sd",
            "reverse_ce", "reverse_ce_sd", "mauve_p_vs_mle", "oracle_ppl_p_vs_mle"};

    public CompareJob {
        if (runs == null) {
            if (finetune == null) throw new IllegalArgumentException("finetune settings or runs");
            if (objectives.isEmpty() || seeds.isEmpty()) throw new UserError("--objectives and --seeds: each needs at least one value");
            objectives.forEach(Objective::of);                      // an unknown one fails before the first training
            // one run named twice would be counted twice in compare.csv (an sd of 0 from a single run)
            dev.emo.util.Lists.requireDistinct("--objectives", objectives);
            dev.emo.util.Lists.requireDistinct("--seeds", seeds);
            objectives = List.copyOf(objectives);
            seeds = List.copyOf(seeds);
        } else {
            runs.forEach(CompareJob::objectiveOf);                  // each must be a finished run, before any work
            dev.emo.util.Lists.requireDistinct("--runs", runs.stream().map(r -> r.toAbsolutePath().normalize()).toList());
            runs = List.copyOf(runs);
        }
        EvaluationSettings.requireFolderOrNothing(outputDir);
        dev.emo.util.OutputLock.refuseIfHeld(outputDir.resolve(LOCK), outputDir, "compare", "--output_dir");
        evaluation.checkPaths(null);
        // the test split must give examples under the protocol now, not after every run has trained
        dev.emo.evaluation.OpenEndedProtocol.named(evaluation.protocol()).examples(evaluation.data(), evaluation.limit());
    }

    /** The table (one row per objective, {@link #HEADER}'s columns) and where it was written. */
    public record Result(List<String[]> table, Path csv, Path outputDir) {}

    /** Held while a comparison writes its folder: a second one into it would train and count the same runs twice. */
    public static final String LOCK = "compare.lock";

    public Result run(FinetuneJob.Listener training, EvaluationJob.Listener listener) throws IOException {
        boolean existed = Files.exists(outputDir);
        try {
            try (var lock = dev.emo.util.OutputLock.acquire(outputDir.resolve(LOCK), outputDir, "compare", "--output_dir")) {
                return runLocked(training, listener);
            }
        } catch (RuntimeException e) {   // e.g. a finetune option refused by the first run's checks
            dev.emo.util.OutputLock.removeAfterFailure(outputDir.resolve(LOCK), existed);
            throw e;
        }
    }

    private Result runLocked(FinetuneJob.Listener training, EvaluationJob.Listener listener) throws IOException {
        TextEmbedder shared = evaluation.featurizer().equals("self") ? null
                : Featurizers.create(evaluation.featurizer(), null, null, null, evaluation.maxTextLength(), evaluation.batchSize());
        Map<String, List<EvaluationReport>> byObjective = new LinkedHashMap<>();
        Map<String, List<Path>> runsByObjective = new LinkedHashMap<>();
        try {
            for (Path run : runs != null ? runs : train(training)) {
                String objective = objectiveOf(run);
                Path report = run.resolve("eval").resolve("evaluation.json");
                EvaluationReport r = Files.isRegularFile(report) ? EvaluationReport.read(report) : null;
                if (r == null || !evaluation.key().equals(r.settings())) {
                    r = EvaluationJob.run(run.resolve("best"), evaluation, run.resolve("eval"), shared, listener);
                }
                byObjective.computeIfAbsent(objective, k -> new ArrayList<>()).add(r);
                runsByObjective.computeIfAbsent(objective, k -> new ArrayList<>()).add(run);
            }
        } finally {
            if (shared != null) shared.close();
        }
        List<String[]> table = table(byObjective);
        Path csv = outputDir.resolve("compare.csv");
        writeCsv(csv, table);
        plots(byObjective, runsByObjective);
        return new Result(table, csv, outputDir);
    }

    /** One run per objective × seed: a finished run is reused, an interrupted one resumed, anything else started afresh. */
    private List<Path> train(FinetuneJob.Listener listener) {
        List<Path> dirs = new ArrayList<>();
        for (String objective : objectives) {
            for (long seed : seeds) {
                Path dir = outputDir.resolve(objective + "-seed" + seed);
                dirs.add(dir);
                if (finished(dir)) continue;
                boolean resume = hasCheckpoint(dir);
                FinetuneJob.prepare(finetune.forRun(objective, seed, dir, !resume, resume ? "latest" : null)).run(listener);
            }
        }
        return dirs;
    }

    static String objectiveOf(Path run) {
        RunRecord record = finishedRecord(run);
        if (record == null) {
            throw UserError.of(run, "is not a finished finetune run (run.json without \"finished\", or no best/)",
                    "pass folders of completed ./run.sh finetune runs, or resume them with --resume_from_checkpoint latest");
        }
        return record.settings().objective();
    }

    /** finetune writes "finished" into run.json after its last evaluation and export. */
    static boolean finished(Path run) {
        return finishedRecord(run) != null;
    }

    /** The run's record if the run finished (run.json says so and best/ exists), else null; run.json is read once. */
    private static RunRecord finishedRecord(Path run) {
        if (!Files.isRegularFile(run.resolve(RunRecord.FILE)) || !Files.isDirectory(run.resolve("best"))) return null;
        RunRecord record = RunRecord.read(run);
        return record.complete() ? record : null;
    }

    static boolean hasCheckpoint(Path run) {
        if (!Files.isDirectory(run)) return false;
        try {
            CheckpointState.read(FineTuner.latestCheckpoint(run));
            return true;
        } catch (UserError none) {
            return false;
        }
    }

    /**
     * Per objective: mean ± sd over every round of every seed (MAUVE, ROUGE, oracle ppl) and over
     * seeds (ppl, forward/reverse cross-entropy); for MAUVE and oracle ppl, Welch's t-test p-value
     * against MLE's values (the paper marks p &lt; 0.001), where MLE is among the objectives.
     */
    static List<String[]> table(Map<String, List<EvaluationReport>> byObjective) {
        List<String[]> rows = new ArrayList<>();
        List<EvaluationReport> mle = byObjective.entrySet().stream().filter(e -> e.getKey().equals("mle")).map(Map.Entry::getValue)
                .findFirst().orElse(null);
        for (var e : byObjective.entrySet()) {
            List<EvaluationReport.RoundScores> rounds = e.getValue().stream().flatMap(r -> r.rounds().stream()).toList();
            Summary mauve = Summary.of(rounds.stream().mapToDouble(EvaluationReport.RoundScores::mauve).toArray());
            Summary r1 = Summary.of(rounds.stream().mapToDouble(EvaluationReport.RoundScores::rouge1).toArray());
            Summary r2 = Summary.of(rounds.stream().mapToDouble(EvaluationReport.RoundScores::rouge2).toArray());
            Summary rl = Summary.of(rounds.stream().mapToDouble(EvaluationReport.RoundScores::rougeL).toArray());
            Summary oracle = Summary.of(rounds.stream().mapToDouble(EvaluationReport.RoundScores::oraclePerplexity).toArray());
            Summary ppl = Summary.of(e.getValue().stream().mapToDouble(r -> r.perplexity() == null ? Double.NaN : r.perplexity().perplexity()).toArray());
            Summary fwd = Summary.of(e.getValue().stream().mapToDouble(r -> r.distribution() == null ? Double.NaN : r.distribution().forwardCe()).toArray());
            Summary rev = Summary.of(e.getValue().stream().mapToDouble(r -> r.distribution() == null ? Double.NaN : r.distribution().reverseCe()).toArray());
            boolean versus = mle != null && !e.getKey().equals("mle");
            String pMauve = versus ? fp(WelchTest.pValue(scores(e.getValue(), EvaluationReport.RoundScores::mauve), scores(mle, EvaluationReport.RoundScores::mauve))) : "";
            String pOracle = versus ? fp(WelchTest.pValue(scores(e.getValue(), EvaluationReport.RoundScores::oraclePerplexity),
                    scores(mle, EvaluationReport.RoundScores::oraclePerplexity))) : "";
            rows.add(new String[]{e.getKey(), Integer.toString(e.getValue().size()), f(mauve.mean()), f(mauve.sd()), f(r1.mean()), f(r1.sd()),
                    f(r2.mean()), f(r2.sd()), f(rl.mean()), f(rl.sd()), f(ppl.mean()), f(ppl.sd()), f(oracle.mean()), f(oracle.sd()),
                    f(fwd.mean()), f(fwd.sd()), f(rev.mean()), f(rev.sd()), pMauve, pOracle});
        }
        return rows;
    }

    private static double[] scores(List<EvaluationReport> reports, java.util.function.ToDoubleFunction<EvaluationReport.RoundScores> score) {
        return reports.stream().flatMap(r -> r.rounds().stream()).mapToDouble(score).filter(Double::isFinite).toArray();
    }

    /** A p-value: three significant digits, so 3.2e-07 does not print as 0.0000. */
    private static String fp(double p) {
        return Double.isNaN(p) ? "" : String.format(java.util.Locale.ROOT, "%.3g", p);
    }

    private static String f(double x) {
        return Double.isNaN(x) ? "" : String.format("%.4f", x);
    }

    private static void writeCsv(Path file, List<String[]> rows) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (CSVPrinter p = new CSVPrinter(Files.newBufferedWriter(tmp), CSVFormat.DEFAULT.builder().setHeader(HEADER).build())) {
            for (String[] r : rows) p.printRecord((Object[]) r);
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private void plots(Map<String, List<EvaluationReport>> byObjective, Map<String, List<Path>> runsByObjective) throws IOException {
        List<Charts.Series> curves = new ArrayList<>(), losses = new ArrayList<>(), divergence = new ArrayList<>();
        Map<String, double[]> mauve = new LinkedHashMap<>();
        for (var e : runsByObjective.entrySet()) {
            for (Path run : e.getValue()) {
                String name = e.getKey() + " " + run.getFileName();
                RunRecord.Result result = RunRecord.read(run).result();
                curves.add(metric(run, "eval_ppl", name, result == null ? null : result.validationPplBefore()));
                losses.add(metric(run, "train_mle", name, null));
            }
        }
        for (var e : byObjective.entrySet()) {
            double[] m = e.getValue().stream().flatMap(r -> r.rounds().stream()).mapToDouble(EvaluationReport.RoundScores::mauve).toArray();
            Summary s = Summary.of(m);
            mauve.put(e.getKey(), new double[]{s.mean(), s.sd()});
            double[][] curve = e.getValue().get(0).divergenceCurve();
            double[] x = new double[curve.length], y = new double[curve.length];
            for (int i = 0; i < curve.length; i++) {
                x[i] = curve[i][0];
                y[i] = curve[i][1];
            }
            divergence.add(new Charts.Series(e.getKey(), x, y));
        }
        Charts.lines(outputDir.resolve("training_eval_ppl.png"), "Validation perplexity during fine-tuning", "step", "perplexity", curves, true);
        Charts.lines(outputDir.resolve("training_mle.png"), "Training cross-entropy (MLE part of the objective)", "step", "nats/token", losses, false);
        Charts.bars(outputDir.resolve("mauve.png"), "MAUVE by objective (mean ± sd over seeds × rounds)", "MAUVE", mauve);
        List<Charts.Series> tradeOff = new ArrayList<>();   // each run: (MAUVE, PPL_oracle), where an oracle model was given
        for (var e : byObjective.entrySet()) {
            double[] x = e.getValue().stream().mapToDouble(r -> r.rounds().stream().mapToDouble(EvaluationReport.RoundScores::mauve).average().orElse(Double.NaN)).toArray();
            double[] y = e.getValue().stream().mapToDouble(r -> r.rounds().stream().mapToDouble(EvaluationReport.RoundScores::oraclePerplexity).average().orElse(Double.NaN)).toArray();
            if (java.util.Arrays.stream(y).allMatch(Double::isFinite)) tradeOff.add(new Charts.Series(e.getKey(), x, y));
        }
        if (!tradeOff.isEmpty()) {
            Charts.lines(outputDir.resolve("oracle_ppl_vs_mauve.png"), "Oracle perplexity of the samples against MAUVE (one point per run)",
                    "MAUVE", "PPL_oracle", tradeOff, true);
        }
        Charts.lines(outputDir.resolve("divergence_curves.png"), "MAUVE divergence curves (first run, round 1)",
                "exp(-c·KL(Q|R))", "exp(-c·KL(P|R))", divergence, true);
    }

    /** A metrics.csv column against step, rows where it is present; {@code atStepZero} starts the curve (the evaluation before training). */
    private static Charts.Series metric(Path run, String column, String name, Double atStepZero) throws IOException {
        List<Double> x = new ArrayList<>(), y = new ArrayList<>();
        if (atStepZero != null) {
            x.add(0.0);
            y.add(atStepZero);
        }
        Path csv = run.resolve("metrics.csv");
        if (Files.isRegularFile(csv)) {
            try (Reader r = Files.newBufferedReader(csv)) {
                for (CSVRecord rec : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).setIgnoreEmptyLines(true).build().parse(r)) {
                    if (!rec.isMapped(column) || !rec.isSet(column) || rec.get(column).isEmpty()) continue;
                    x.add(Double.parseDouble(rec.get("step")));
                    y.add(Double.parseDouble(rec.get(column)));
                }
            }
        }
        return new Charts.Series(name, x.stream().mapToDouble(d -> d).toArray(), y.stream().mapToDouble(d -> d).toArray());
    }
}

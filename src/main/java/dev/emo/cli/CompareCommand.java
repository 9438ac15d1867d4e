package dev.emo.cli;

import dev.emo.UserError;
import dev.emo.training.FineTuner;
import dev.emo.evaluation.Charts;
import dev.emo.evaluation.EvaluationReport;
import dev.emo.embedding.TextEmbedder;
import dev.emo.evaluation.Featurizers;
import dev.emo.evaluation.OpenEndedEvaluation.Summary;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Fine-tunes one model with several objectives × seeds (through {@code finetune}, one run folder
 * each) or takes existing run folders, evaluates every run's best model with {@code evaluate}'s
 * protocol, and writes a Table-1-style summary (console, CSV) and PNG plots. A finished run is not
 * retrained, an interrupted one resumes from its latest checkpoint, and an evaluation made with the
 * same settings is reused, so an interrupted comparison continues where it stopped.
 */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fine-tune with several objectives and seeds (or take --runs), evaluate each, and write a "
                + "Table-1-style table (mean ± sd) and plots. Options compare does not know are passed to finetune.")
final class CompareCommand implements Callable<Integer> {
    @Option(names = "--objectives", defaultValue = "mle,emo,mixce,tailr", split = ",", description = "default: ${DEFAULT-VALUE}")
    List<String> objectives;

    @Option(names = "--seeds", defaultValue = "1,2", split = ",", description = "training seeds (default: ${DEFAULT-VALUE})")
    List<Long> seeds;

    @Option(names = "--runs", split = ",", description = "existing finetune run folders to evaluate instead of training")
    List<Path> runs;

    @Option(names = "--output_dir", description = "default: runs/compare-<time>")
    Path outputDir;

    @Mixin
    EvalOptions eval;

    @CommandLine.Unmatched
    List<String> finetuneArgs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        eval.validate();
        if (runs != null && !finetuneArgs.isEmpty()) {
            throw UserError.of("compare", "options " + finetuneArgs + " are neither compare's nor used with --runs", "check their spelling (./run.sh compare --help)");
        }
        if (runs != null) runs.forEach(RunInfo::objective);      // each must be a finished run, before any work
        if (runs == null) objectives.forEach(dev.emo.objectives.Objective::of);   // an unknown one fails before the first training
        if (outputDir == null) outputDir = Main.defaultOutputDir("compare");
        EvalOptions.requireFolderOrNothing(outputDir);
        Files.createDirectories(outputDir);
        TextEmbedder shared = eval.featurizer.equals("self") ? null
                : Featurizers.create(eval.featurizer, null, null, null, eval.maxTextLength, eval.batchSize);
        List<Path> runDirs = runs != null ? runs : train();
        Map<String, List<EvaluationReport>> byObjective = new LinkedHashMap<>();
        Map<String, List<Path>> runsByObjective = new LinkedHashMap<>();
        for (Path run : runDirs) {
            String objective = RunInfo.objective(run);
            Path report = run.resolve("eval").resolve("evaluation.json");
            EvaluationReport r = Files.isRegularFile(report) ? EvaluationReport.read(report) : null;
            if (r == null || !eval.settingsKey().equals(r.settings())) {
                r = EvaluateCommand.evaluate(run.resolve("best"), eval, run.resolve("eval"), shared);
            }
            byObjective.computeIfAbsent(objective, k -> new ArrayList<>()).add(r);
            runsByObjective.computeIfAbsent(objective, k -> new ArrayList<>()).add(run);
        }
        if (shared != null) shared.close();
        List<String[]> table = table(byObjective);
        print(table);
        writeCsv(outputDir.resolve("compare.csv"), table);
        plots(byObjective, runsByObjective);
        System.out.println("table: " + outputDir.resolve("compare.csv") + "; plots: " + outputDir.resolve("*.png"));
        return 0;
    }

    /**
     * One finetune run per objective × seed: a finished run is reused, an interrupted one resumed from
     * its latest checkpoint, anything else started afresh.
     */
    private List<Path> train() {
        List<Path> dirs = new ArrayList<>();
        for (String objective : objectives) {
            for (long seed : seeds) {
                Path dir = outputDir.resolve(objective + "-seed" + seed);
                dirs.add(dir);
                if (RunInfo.finished(dir)) continue;
                List<String> args = new ArrayList<>(List.of("finetune", "--objective", objective, "--seed", Long.toString(seed),
                        "--output_dir", dir.toString()));
                args.addAll(RunInfo.hasCheckpoint(dir) ? List.of("--resume_from_checkpoint", "latest") : List.of("--overwrite_output_dir"));
                args.addAll(finetuneArgs);
                int rc = Main.execute(args.toArray(new String[0]));
                if (rc != 0) throw new UserError("compare: finetune " + String.join(" ", args.subList(1, args.size())) + " failed (exit " + rc + ")");
            }
        }
        return dirs;
    }

    private static final String[] HEADER = {"objective", "runs", "mauve", "mauve_sd", "rouge1", "rouge1_sd", "rouge2", "rouge2_sd",
            "rougeL", "rougeL_sd", "test_ppl", "test_ppl_sd", "oracle_ppl", "oracle_ppl_sd"};

    /** Per objective: mean ± sd over every round of every seed (MAUVE, ROUGE, oracle ppl) and over seeds (ppl). */
    private static List<String[]> table(Map<String, List<EvaluationReport>> byObjective) {
        List<String[]> rows = new ArrayList<>();
        for (var e : byObjective.entrySet()) {
            List<EvaluationReport.RoundScores> rounds = e.getValue().stream().flatMap(r -> r.rounds().stream()).toList();
            Summary mauve = Summary.of(rounds.stream().mapToDouble(EvaluationReport.RoundScores::mauve).toArray());
            Summary r1 = Summary.of(rounds.stream().mapToDouble(EvaluationReport.RoundScores::rouge1).toArray());
            Summary r2 = Summary.of(rounds.stream().mapToDouble(EvaluationReport.RoundScores::rouge2).toArray());
            Summary rl = Summary.of(rounds.stream().mapToDouble(EvaluationReport.RoundScores::rougeL).toArray());
            Summary oracle = Summary.of(rounds.stream().mapToDouble(EvaluationReport.RoundScores::oraclePerplexity).toArray());
            Summary ppl = Summary.of(e.getValue().stream().mapToDouble(r -> r.perplexity() == null ? Double.NaN : r.perplexity().perplexity()).toArray());
            rows.add(new String[]{e.getKey(), Integer.toString(e.getValue().size()), f(mauve.mean()), f(mauve.sd()), f(r1.mean()), f(r1.sd()),
                    f(r2.mean()), f(r2.sd()), f(rl.mean()), f(rl.sd()), f(ppl.mean()), f(ppl.sd()), f(oracle.mean()), f(oracle.sd())});
        }
        return rows;
    }

    private static String f(double x) {
        return Double.isNaN(x) ? "" : String.format("%.4f", x);
    }

    private static void print(List<String[]> rows) {
        int w = Math.max(9, rows.stream().mapToInt(r -> r[0].length()).max().orElse(0));   // objectives carry their parameters
        String line = "%-" + w + "s %4s %17s %17s %17s %17s %17s %17s%n";
        System.out.printf("%n" + line, "objective", "runs", "MAUVE", "ROUGE-1", "ROUGE-2", "ROUGE-L", "test ppl", "oracle ppl");
        for (String[] r : rows) {
            System.out.printf(line, r[0], r[1], pm(r[2], r[3]), pm(r[4], r[5]), pm(r[6], r[7]), pm(r[8], r[9]), pm(r[10], r[11]), pm(r[12], r[13]));
        }
    }

    private static String pm(String mean, String sd) {
        return mean.isEmpty() ? "-" : mean + " ± " + sd;
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
                curves.add(RunInfo.metric(run, "eval_ppl", name, "validation_ppl_before"));
                losses.add(RunInfo.metric(run, "train_mle", name, null));
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
        Charts.lines(outputDir.resolve("divergence_curves.png"), "MAUVE divergence curves (first run, round 1)",
                "exp(-c·KL(Q|R))", "exp(-c·KL(P|R))", divergence, true);
    }

    /** What compare reads back from a finetune run folder. */
    static final class RunInfo {
        private RunInfo() {}

        static String objective(Path run) {
            if (!finished(run)) {
                throw UserError.of(run, "is not a finished finetune run (run.json without \"finished\", or no best/)",
                        "pass folders of completed ./run.sh finetune runs, or resume them with --resume_from_checkpoint latest");
            }
            return runJson(run).path("settings").path("objective").asText("?");
        }

        /** finetune writes "finished" into run.json after its last evaluation and export. */
        static boolean finished(Path run) {
            return Files.isRegularFile(run.resolve("run.json")) && Files.isDirectory(run.resolve("best"))
                    && runJson(run).has("finished");
        }

        static boolean hasCheckpoint(Path run) {
            if (!Files.isDirectory(run)) return false;
            try {
                FineTuner.latestCheckpoint(run);
                return true;
            } catch (UserError none) {
                return false;
            }
        }

        private static com.fasterxml.jackson.databind.JsonNode runJson(Path run) {
            Path json = run.resolve("run.json");
            try {
                return new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toFile());
            } catch (IOException e) {
                throw UserError.of(json, "cannot be read (" + e.getMessage() + ")", "re-run the finetune");
            }
        }

        /**
         * A metrics.csv column against step, rows where it is present; {@code atStepZero} names a
         * run.json result (the evaluation before training) to start the curve from, or null.
         */
        static Charts.Series metric(Path run, String column, String name, String atStepZero) throws IOException {
            List<Double> x = new ArrayList<>(), y = new ArrayList<>();
            com.fasterxml.jackson.databind.JsonNode before = atStepZero == null ? null : runJson(run).path("result").path(atStepZero);
            if (before != null && before.isNumber()) {
                x.add(0.0);
                y.add(before.asDouble());
            }
            Path csv = run.resolve("metrics.csv");
            if (Files.isRegularFile(csv)) {
                try (Reader r = Files.newBufferedReader(csv)) {
                    for (CSVRecord rec : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(r)) {
                        if (!rec.isMapped(column) || rec.get(column).isEmpty()) continue;
                        x.add(Double.parseDouble(rec.get("step")));
                        y.add(Double.parseDouble(rec.get(column)));
                    }
                }
            }
            return new Charts.Series(name, x.stream().mapToDouble(d -> d).toArray(), y.stream().mapToDouble(d -> d).toArray());
        }
    }
}

package dev.emo.cli;

import dev.emo.UserError;
import dev.emo.jobs.CompareJob;
import dev.emo.jobs.FinetuneSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** Parses compare's flags (the rest are finetune's) into a {@link CompareJob}, runs it, prints the table. */
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
        if (runs != null && !finetuneArgs.isEmpty()) {
            throw UserError.of("compare", "options " + finetuneArgs + " are neither compare's nor used with --runs", "check their spelling (./run.sh compare --help)");
        }
        CompareJob job = new CompareJob(runs == null ? finetuneSettings() : null, objectives, seeds, runs, eval.settings(),
                outputDir != null ? outputDir : Main.defaultOutputDir("compare"));   // checks every setting before any training
        CompareJob.Result r = job.run(FinetuneCommand.progressBar(), EvaluateCommand.progressBar(eval.settings().rounds()));
        print(r.table());
        System.out.println("table: " + r.csv() + "; plots: " + r.outputDir().resolve("*.png"));
        return 0;
    }

    /** The options compare does not know, read as finetune's flags (a misspelt one fails here, before any training). */
    private FinetuneSettings finetuneSettings() {
        return finetuneSettings("compare", finetuneArgs);
    }

    static FinetuneSettings finetuneSettings(String command, List<String> args) {
        FinetuneCommand finetune = new FinetuneCommand();
        try {
            new CommandLine(finetune).parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw UserError.of(command, e.getMessage().lines().findFirst().orElse("bad finetune options"),
                    "pass compare's options or finetune's (./run.sh finetune --help)");
        }
        return finetune.settings();
    }

    /** The table; cross-entropies and p-values vs MLE (Welch) appear where the runs have them. */
    static void print(List<String[]> rows) {
        int w = Math.max(9, rows.stream().mapToInt(r -> r[0].length()).max().orElse(0));   // objectives carry their parameters
        boolean ce = rows.stream().anyMatch(r -> !r[14].isEmpty()), p = rows.stream().anyMatch(r -> !r[18].isEmpty());
        String line = "%-" + w + "s %4s %17s %17s %17s %17s %17s %19s" + (ce ? " %17s %17s" : "%s%s") + (p ? " %10s %10s" : "%s%s") + "%n";
        System.out.printf("%n" + line, "objective", "runs", "MAUVE", "ROUGE-1", "ROUGE-2", "ROUGE-L", "test ppl", "oracle ppl",
                ce ? "forward CE" : "", ce ? "reverse CE" : "", p ? "p MAUVE" : "", p ? "p oracle" : "");
        for (String[] r : rows) {
            System.out.printf(line, r[0], r[1], pm(r[2], r[3]), pm(r[4], r[5]), pm(r[6], r[7]), pm(r[8], r[9]), pm(r[10], r[11]), pm(r[12], r[13]),
                    ce ? pm(r[14], r[15]) : "", ce ? pm(r[16], r[17]) : "", p ? (r[18].isEmpty() ? "-" : r[18]) : "", p ? (r[19].isEmpty() ? "-" : r[19]) : "");
        }
    }

    private static String pm(String mean, String sd) {
        return mean.isEmpty() ? "-" : mean + " ± " + sd;
    }
}

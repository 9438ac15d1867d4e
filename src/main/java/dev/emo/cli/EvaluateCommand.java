package dev.emo.cli;

import dev.emo.evaluation.EvaluationReport;
import dev.emo.jobs.EvaluationJob;
import dev.emo.jobs.EvaluationSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "The paper's open-ended evaluation of one model: prefixes from a test split continued by unbiased "
                + "sampling (KV cache), scored by MAUVE and ROUGE over several rounds (mean ± sd), plus perplexity, "
                + "oracle perplexity and forward/reverse cross-entropy where asked.")
final class EvaluateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "exported model folder (e.g. a run's best/)")
    Path model;

    @Mixin
    EvalOptions opts;

    @Option(names = "--adapter", description = "a PEFT LoRA adapter folder (e.g. a LoRA run's best/) applied to --model")
    Path adapter;

    @picocli.CommandLine.Mixin
    BaseDtypeOption baseDtype;

    @Option(names = "--allow_other_base", description = "apply --adapter even if it was trained on another base model (its weights hash differs)")
    boolean allowOtherBase;

    @Option(names = "--output_dir", description = "where evaluation.json and generations.jsonl go (default: runs/evaluate-<time>)")
    Path outputDir;

    @Option(names = "--overwrite_output_dir", description = "replace another model's evaluation in --output_dir")
    boolean overwrite;

    @Override
    public Integer call() {
        Path out = outputDir != null ? outputDir : Main.defaultOutputDir("evaluate");
        EvaluationSettings settings = opts.settings();
        EvaluationReport r = EvaluationJob.run(model, adapter, allowOtherBase, settings, out, overwrite, null, progressBar(settings.rounds()),
                baseDtype.resolve(model));
        printTable(List.of(r));
        System.out.println("report: " + out.resolve("evaluation.json"));
        return 0;
    }

    /** A progress bar over rounds (each round logs its own sampling tokens/s). */
    static EvaluationJob.Listener progressBar(int rounds) {
        Progress bar = new Progress(rounds, 0);
        return (done, total) -> {
            bar.update(done, "rounds ");
            if (done == total) bar.done();
        };
    }

    /** One line per report: MAUVE and ROUGE as mean ± sd over rounds, then the single-run measures. */
    static void printTable(List<EvaluationReport> reports) {
        System.out.printf("%n%-28s %17s %17s %17s %17s %14s %10s %10s%n", "model", "MAUVE", "ROUGE-1", "ROUGE-2", "ROUGE-L",
                "oracle ppl", "ppl", "fwd/rev CE");
        for (EvaluationReport r : reports) {
            String name = Path.of(r.model()).getNameCount() > 1 && Path.of(r.model()).getFileName().toString().equals("best")
                    ? Path.of(r.model()).getParent().getFileName() + "/best" : Path.of(r.model()).getFileName().toString();
            System.out.printf("%-28s %17s %17s %17s %17s %14s %10s %10s%n", name, r.mauve(), r.rouge1(), r.rouge2(), r.rougeL(),
                    Double.isNaN(r.oraclePerplexity().mean()) ? "-" : String.format("%.2f ± %.2f", r.oraclePerplexity().mean(), r.oraclePerplexity().sd()),
                    r.perplexity() == null ? "-" : String.format("%.2f", r.perplexity().perplexity()),
                    r.distribution() == null ? "-" : String.format("%.3f/%.3f", r.distribution().forwardCe(), r.distribution().reverseCe()));
        }
    }
}

package dev.emo.cli;

import dev.emo.jobs.CompareJob;
import dev.emo.jobs.FinetuneSettings;
import dev.emo.jobs.OracleJob;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "oracle", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The paper's oracle experiment (Table 2): sample train/validation/test corpora from --oracle_model, fine-tune",
                "--model on them with each objective × seed, score each tuned model against the oracle (PPL_oracle, MAUVE, ROUGE,",
                "forward/reverse CE), print a Table-2-style table with Welch p-values against MLE. Other options go to finetune."})
final class OracleCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "the student Q, fine-tuned on P's samples (same tokenizer as P)")
    Path student;
    @Option(names = "--objectives", defaultValue = "mle,emo,mixce,tailr", split = ",", description = "default: ${DEFAULT-VALUE}")
    List<String> objectives;
    @Option(names = "--seeds", defaultValue = "1,2,3", split = ",", description = "training seeds (default: ${DEFAULT-VALUE})")
    List<Long> seeds;
    @Option(names = "--train_samples", defaultValue = "2000", description = "documents sampled from P for training (default: ${DEFAULT-VALUE})")
    int trainSamples;
    @Option(names = "--validation_samples", defaultValue = "200", description = "default: ${DEFAULT-VALUE}")
    int validationSamples;
    @Option(names = "--test_samples", defaultValue = "500", description = "documents whose prefixes are continued in the evaluation (default: ${DEFAULT-VALUE})")
    int testSamples;
    @Option(names = "--sample_tokens", defaultValue = "128", description = "tokens per sampled document at most (default: ${DEFAULT-VALUE})")
    int sampleTokens;
    @Option(names = "--sample_batch_size", defaultValue = "32", description = "default: ${DEFAULT-VALUE}")
    int sampleBatchSize;
    @Option(names = "--sample_seed", defaultValue = "1234", description = "seed of the train corpus (validation +1, test +2; default: ${DEFAULT-VALUE})")
    long sampleSeed;
    @Option(names = "--output_dir", description = "default: runs/oracle-<time>")
    Path outputDir;

    @Mixin
    EvalOptions eval;

    @CommandLine.Unmatched
    List<String> finetuneArgs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        // --oracle_model (P) comes with the evaluation options; the corpora take the place of --data and the rest
        if (eval.oracleModel == null) throw new dev.emo.UserError("--oracle_model: missing; pass the oracle P (it samples the corpora)");
        if (eval.data != null || eval.referenceModel != null || eval.perplexityFile != null) {
            throw new dev.emo.UserError("oracle: --data, --reference_model and --perplexity_file are set by the experiment (P's corpora, P itself); leave them out");
        }
        Path oracle = eval.oracleModel;
        Path out = outputDir != null ? outputDir : Main.defaultOutputDir("oracle");
        List<String> args = new ArrayList<>(finetuneArgs);
        args.addAll(List.of("--model", student.toString(), "--train_file", out.resolve("data").resolve("train.txt").toString()));
        FinetuneSettings studentSettings = CompareCommand.finetuneSettings("oracle", args);
        OracleJob job = new OracleJob(oracle, studentSettings, objectives, seeds, eval.settings(),
                new int[]{trainSamples, validationSamples, testSamples}, sampleTokens, sampleBatchSize, sampleSeed, out);
        Progress[] bar = new Progress[1];
        CompareJob.Result r = job.run((done, total) -> {
            if (bar[0] == null || done < 1) bar[0] = new Progress(total, 0);
            bar[0].update(done, "samples ");
        }, FinetuneCommand.progressBar(), EvaluateCommand.progressBar(eval.settings().rounds()));
        CompareCommand.print(r.table());
        System.out.println("table: " + r.csv() + "; plots: " + r.outputDir().resolve("*.png") + "; corpora: " + out.resolve("data"));
        return 0;
    }
}

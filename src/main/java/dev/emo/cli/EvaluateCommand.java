package dev.emo.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.UserError;
import dev.emo.data.TextFiles;
import dev.emo.evaluation.DistributionMeasures;
import dev.emo.evaluation.EvaluationReport;
import dev.emo.embedding.TextEmbedder;
import dev.emo.evaluation.Featurizers;
import dev.emo.evaluation.OpenEndedEvaluation;
import dev.emo.evaluation.OpenEndedProtocol;
import dev.emo.evaluation.Perplexity;
import dev.emo.evaluation.mauve.Mauve;
import dev.emo.models.CausalLM;
import dev.emo.models.Models;
import dev.emo.tokenizers.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    @Option(names = "--output_dir", description = "where evaluation.json and generations.jsonl go (default: runs/evaluate-<time>)")
    Path outputDir;

    @Override
    public Integer call() {
        if (outputDir == null) outputDir = Main.defaultOutputDir("evaluate");
        EvaluationReport r = evaluate(model, opts, outputDir, null);
        printTable(List.of(r));
        System.out.println("report: " + outputDir.resolve("evaluation.json"));
        return 0;
    }

    /**
     * Evaluates one model folder into outDir (evaluation.json, generations.jsonl); a given featurizer
     * is used as is (and not closed), else one is built from the options. Inputs are read and checked
     * before the first token is sampled.
     */
    static EvaluationReport evaluate(Path modelDir, EvalOptions o, Path outDir, TextEmbedder shared) {
        o.validate();
        EvalOptions.requireFolderOrNothing(outDir);
        OpenEndedProtocol protocol = OpenEndedProtocol.named(o.protocol);
        List<OpenEndedProtocol.Example> examples = protocol.examples(o.data(), o.limit);
        long t0 = System.nanoTime();
        CausalLM model = Models.load(modelDir, true).model();   // the KV-cache graph also serves plain passes
        Tokenizer tok = Tokenizer.load(modelDir);
        Path pplFile = o.perplexityFile();
        List<String> pplDocs = pplFile == null ? null : TextFiles.read(pplFile, TextFiles.detect(pplFile), "text");
        if (pplDocs != null && o.maxPerplexityTexts > 0 && pplDocs.size() > o.maxPerplexityTexts) pplDocs = pplDocs.subList(0, o.maxPerplexityTexts);
        List<int[]> pplBlocks = pplDocs == null ? null : Perplexity.blocks(model, tok, pplDocs, PERPLEXITY_BLOCK);
        if (pplBlocks != null && pplBlocks.isEmpty()) {
            throw UserError.of(pplFile, "holds less than one " + PERPLEXITY_BLOCK + "-token block", "pass a longer --perplexity_file or a larger --max_perplexity_texts");
        }
        CausalLM oracle = o.oracleModel == null ? null : Models.load(o.oracleModel).model();
        Tokenizer oracleTok = o.oracleModel == null ? null : Tokenizer.load(o.oracleModel);
        CausalLM reference = o.referenceModel == null ? null : Models.load(o.referenceModel).model();
        if (reference != null && reference.config().vocabSize() != model.config().vocabSize()) {
            throw UserError.of(o.referenceModel, "its vocabulary has " + reference.config().vocabSize() + " tokens, the evaluated model's "
                    + model.config().vocabSize(), "pass a --reference_model with the evaluated model's tokenizer");
        }
        TextEmbedder featurizer = shared != null ? shared
                : Featurizers.create(o.featurizer, model, tok, modelDir.getFileName().toString(), o.maxTextLength, o.batchSize);
        System.err.printf("evaluating %s: %d %s examples, %d round(s) of %d tokens each, MAUVE features: %s%n",
                modelDir, examples.size(), protocol.name(), o.rounds, o.newTokens, featurizer.name());

        var settings = new OpenEndedEvaluation.Settings(o.rounds, o.newTokens, o.sampling(), o.seed, o.batchSize,
                Mauve.Options.defaults().withSeed(o.mauveSeed));
        Progress bar = new Progress(o.rounds, 0);     // rounds done; each round logs its sampling tokens/s
        List<OpenEndedEvaluation.Round> rounds = new OpenEndedEvaluation(model, tok, featurizer, oracle, oracleTok)
                .run(examples, settings, (done, total) -> bar.update(done, "rounds "));
        bar.done();
        if (shared == null) featurizer.close();

        Perplexity.Result ppl = pplBlocks == null ? null : Perplexity.of(model, pplBlocks, 8);
        DistributionMeasures.Result dist = reference == null ? null : DistributionMeasures.compute(model, reference, tok, pplDocs);
        double secs = (System.nanoTime() - t0) / 1e9;
        EvaluationReport report = EvaluationReport.of(modelDir.toString(), o.settingsKey(), protocol.name(), o.data().toString(),
                examples.size(), featurizer.name(), o.sampling().toString(), rounds, ppl, dist, secs);
        write(outDir, report, examples, rounds);
        return report;
    }

    /** Tokens per block for the test-file perplexity (the paper's block size). */
    static final int PERPLEXITY_BLOCK = 256;

    /** Both files are written as .tmp files and renamed, so an interrupted evaluation leaves no half-written report. */
    private static void write(Path outDir, EvaluationReport report, List<OpenEndedProtocol.Example> examples,
                              List<OpenEndedEvaluation.Round> rounds) {
        try {
            Files.createDirectories(outDir);
            Path tmpReport = outDir.resolve("evaluation.json.tmp"), tmpGen = outDir.resolve("generations.jsonl.tmp");
            report.write(tmpReport);
            ObjectMapper json = new ObjectMapper();
            try (BufferedWriter w = Files.newBufferedWriter(tmpGen, StandardCharsets.UTF_8)) {
                for (OpenEndedEvaluation.Round r : rounds) {
                    for (int i = 0; i < examples.size(); i++) {
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("round", r.index() + 1);
                        row.put("prefix", examples.get(i).prefix());
                        row.put("human", examples.get(i).human());
                        row.put("model", r.modelTexts().get(i));
                        w.write(json.writeValueAsString(row));
                        w.newLine();
                    }
                }
            }
            Files.move(tmpGen, outDir.resolve("generations.jsonl"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmpReport, outDir.resolve("evaluation.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | java.io.UncheckedIOException e) {
            throw UserError.of(outDir, "cannot write the evaluation (" + e.getMessage() + ")", "check the folder's permissions and free space");
        }
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

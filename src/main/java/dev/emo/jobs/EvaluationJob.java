package dev.emo.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.UserError;
import dev.emo.data.TextFiles;
import dev.emo.embedding.TextEmbedder;
import dev.emo.evaluation.DistributionMeasures;
import dev.emo.evaluation.EvaluationReport;
import dev.emo.evaluation.Featurizers;
import dev.emo.evaluation.OpenEndedEvaluation;
import dev.emo.evaluation.OpenEndedProtocol;
import dev.emo.evaluation.Perplexity;
import dev.emo.evaluation.mauve.Mauve;
import dev.emo.models.CausalLM;
import dev.emo.registry.Models;
import dev.emo.tokenizers.Tokenizer;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The paper's open-ended evaluation of one model folder into an output folder (evaluation.json,
 * generations.jsonl): prefixes from a test split continued by sampling with the KV cache, MAUVE and
 * ROUGE per round, perplexity, oracle perplexity and forward/reverse cross-entropy where asked.
 * Inputs are read and checked before the first token is sampled; both files are written whole
 * (temporary files renamed).
 */
public final class EvaluationJob {
    /** Tokens per block for the test-file perplexity (the paper's block size). */
    public static final int PERPLEXITY_BLOCK = 256;

    /** Progress: rounds done of total. */
    public interface Listener {
        Listener NONE = (done, total) -> { };

        void rounds(int done, int total);
    }

    private EvaluationJob() {}

    /**
     * @param shared a featurizer used as is (and not closed), or null to build one from the settings
     */
    public static EvaluationReport run(Path modelDir, EvaluationSettings o, Path outDir, TextEmbedder shared, Listener listener) {
        return run(modelDir, null, o, outDir, shared, listener);
    }

    /** @param adapterDir a PEFT adapter folder applied to the model (merged in), or null */
    public static EvaluationReport run(Path modelDir, Path adapterDir, EvaluationSettings o, Path outDir, TextEmbedder shared, Listener listener) {
        return run(modelDir, adapterDir, false, o, outDir, false, shared, listener, dev.emo.lowbit.BaseDType.FLOAT32);
    }

    /**
     * @param allowOtherBase apply an adapter trained on another base (refused otherwise)
     * @param overwrite      replace another model's evaluation in {@code outDir} (without it, that is refused)
     * @param base           how the evaluated model's projections are kept ({@code --base_dtype}, resolved)
     */
    public static EvaluationReport run(Path modelDir, Path adapterDir, boolean allowOtherBase, EvaluationSettings o, Path outDir, boolean overwrite,
                                       TextEmbedder shared, Listener listener, dev.emo.lowbit.BaseDType base) {
        o.checkPaths(outDir);
        String name = adapterDir == null ? modelDir.toString() : modelDir + " + " + adapterDir;
        if (!overwrite) refuseOtherModelsResults(outDir, name);
        dev.emo.util.OutputLock.refuseIfHeld(outDir.resolve(LOCK), outDir, "evaluation", "--output_dir");
        OpenEndedProtocol protocol = OpenEndedProtocol.named(o.protocol());
        List<OpenEndedProtocol.Example> examples = protocol.examples(o.data(), o.limit());
        Tokenizer tok = dev.emo.registry.ModelFamilies.tokenizer(modelDir);
        checkPositions(modelDir, o, examples, tok);
        if (o.referenceModel() != null) {
            int mine = dev.emo.registry.ModelFamilies.config(modelDir).vocabSize(), theirs = dev.emo.registry.ModelFamilies.config(o.referenceModel()).vocabSize();
            if (mine != theirs) {
                throw UserError.of(o.referenceModel(), "its vocabulary has " + theirs + " tokens, the evaluated model's " + mine,
                        "pass a --reference_model with the evaluated model's tokenizer");
            }
        }
        boolean existed = Files.exists(outDir);
        try {
            try (var lock = dev.emo.util.OutputLock.acquire(outDir.resolve(LOCK), outDir, "evaluation", "--output_dir")) {
                return evaluate(modelDir, adapterDir, allowOtherBase, base, o, outDir, shared, listener, name, protocol, examples, tok);
            }
        } catch (RuntimeException e) {
            dev.emo.util.OutputLock.removeAfterFailure(outDir.resolve(LOCK), existed);
            throw e;
        }
    }

    /** Held while an evaluation writes its folder. */
    public static final String LOCK = "evaluation.lock";

    private static EvaluationReport evaluate(Path modelDir, Path adapterDir, boolean allowOtherBase, dev.emo.lowbit.BaseDType base, EvaluationSettings o,
                                             Path outDir, TextEmbedder shared, Listener listener, String name, OpenEndedProtocol protocol,
                                             List<OpenEndedProtocol.Example> examples, Tokenizer tok) {
        long t0 = System.nanoTime();
        CausalLM model = Models.loadWithAdapter(modelDir, adapterDir, true, allowOtherBase, base).model();   // the KV-cache graph also serves plain passes
        Path pplFile = o.perplexityText();
        if (pplFile != null && dev.emo.data.InstructionData.isInstructionFile(pplFile)) {   // instruction data: its trained tokens only
            return evaluate(modelDir, adapterDir, allowOtherBase, o, outDir, shared, listener, name, protocol, examples, tok, model,
                    instructionPerplexity(model, tok, modelDir, pplFile, o.maxPerplexityTexts()), null, t0);
        }
        List<String> pplDocs = pplFile == null ? null : TextFiles.read(pplFile, TextFiles.detect(pplFile), "text", "--perplexity_file");
        if (pplDocs != null && o.maxPerplexityTexts() > 0 && pplDocs.size() > o.maxPerplexityTexts()) {
            pplDocs = pplDocs.subList(0, o.maxPerplexityTexts());
        }
        List<int[]> pplBlocks = pplDocs == null ? null : Perplexity.blocks(model, tok, pplDocs, PERPLEXITY_BLOCK);
        if (pplBlocks != null && pplBlocks.isEmpty()) {
            throw UserError.of(pplFile, "holds less than one " + PERPLEXITY_BLOCK + "-token block",
                    "pass a longer --perplexity_file or a larger --max_perplexity_texts");
        }
        Perplexity.Result ppl = pplBlocks == null ? null : Perplexity.of(model, pplBlocks, 8);
        return evaluate(modelDir, adapterDir, allowOtherBase, o, outDir, shared, listener, name, protocol, examples, tok, model, ppl, pplDocs, t0);
    }

    /**
     * Perplexity of an instruction file's trained tokens (completions, assistant turns), as finetune masks
     * them (the folder's chat template; the first --max_perplexity_texts examples).
     */
    private static Perplexity.Result instructionPerplexity(CausalLM model, Tokenizer tok, Path modelDir, Path file, int maxExamples) {
        var examples = dev.emo.data.InstructionData.read(file, tok, new dev.emo.data.InstructionData.Settings(modelDir, null, true));
        if (maxExamples > 0 && examples.size() > maxExamples) examples = examples.subList(0, maxExamples);
        return Perplexity.ofLabelled(model, examples.stream().map(e -> e.inputIds()).toList(), examples.stream().map(e -> e.labels()).toList(), 8);
    }

    /** The open-ended rounds, the distribution measures on {@code pplDocs} (plain text, or null) and the report. */
    private static EvaluationReport evaluate(Path modelDir, Path adapterDir, boolean allowOtherBase, EvaluationSettings o, Path outDir,
                                             TextEmbedder shared, Listener listener, String name, OpenEndedProtocol protocol,
                                             List<OpenEndedProtocol.Example> examples, Tokenizer tok, CausalLM model,
                                             Perplexity.Result ppl, List<String> pplDocs, long t0) {
        CausalLM oracle = o.oracleModel() == null ? null : Models.load(o.oracleModel()).model();
        Tokenizer oracleTok = o.oracleModel() == null ? null : dev.emo.registry.ModelFamilies.tokenizer(o.oracleModel());
        CausalLM reference = o.referenceModel() == null ? null : Models.load(o.referenceModel()).model();
        TextEmbedder featurizer = shared != null ? shared
                : Featurizers.create(o.featurizer(), model, tok, modelDir.getFileName().toString(), o.maxTextLength(), o.batchSize());
        System.err.printf("evaluating %s: %d %s examples, %d round(s) of %d tokens each, MAUVE features: %s%n",
                modelDir, examples.size(), protocol.name(), o.rounds(), o.newTokens(), featurizer.name());

        var settings = new OpenEndedEvaluation.Settings(o.rounds(), o.newTokens(), o.sampling(), o.seed(), o.batchSize(),
                Mauve.Options.defaults().withSeed(o.mauveSeed()));
        List<OpenEndedEvaluation.Round> rounds;
        try {
            rounds = new OpenEndedEvaluation(model, tok, featurizer, oracle, oracleTok).run(examples, settings, listener::rounds);
        } finally {
            if (shared == null) featurizer.close();
        }
        DistributionMeasures.Result dist = reference == null ? null : DistributionMeasures.compute(model, reference, tok, pplDocs);
        double secs = (System.nanoTime() - t0) / 1e9;
        EvaluationReport report = EvaluationReport.of(name, o.key(), protocol.name(), o.data().toString(),
                examples.size(), featurizer.name(), o.sampling().toString(), rounds, ppl, dist, secs);
        write(outDir, report, examples, rounds);
        return report;
    }

    /** An evaluation of another model in the folder would be silently replaced: refused unless overwriting. */
    private static void refuseOtherModelsResults(Path outDir, String model) {
        Path existing = outDir.resolve("evaluation.json");
        if (!Files.isRegularFile(existing)) return;
        String other;
        try {
            other = EvaluationReport.read(existing).model();
        } catch (RuntimeException unreadable) {
            other = "an unreadable report";
        }
        if (!sameModel(other, model)) {
            throw UserError.of(outDir, "holds the evaluation of another model (" + other + ")",
                    "pass --overwrite_output_dir to replace it, or another --output_dir");
        }
    }

    private static boolean sameModel(String a, String b) {
        if (a.equals(b)) return true;
        try {
            return Path.of(a).toAbsolutePath().normalize().equals(Path.of(b).toAbsolutePath().normalize());
        } catch (java.nio.file.InvalidPathException e) {
            return false;
        }
    }

    /** The longest prefix + --new_tokens + the one token allowed after them must fit the positions: checked before sampling. */
    private static void checkPositions(Path modelDir, EvaluationSettings o, List<OpenEndedProtocol.Example> examples, Tokenizer tok) {
        int positions = dev.emo.registry.ModelFamilies.config(modelDir).maxPositions();
        int longest = 1;
        for (OpenEndedProtocol.Example e : examples) longest = Math.max(longest, tok.encode(e.prefix()).length);
        if ((long) longest + o.newTokens() + 1 > positions) {
            throw UserError.of(modelDir.resolve("config.json"), "the longest prefix's " + longest + " tokens + --new_tokens " + o.newTokens()
                    + " + 1 exceed the model's " + positions + " positions", "pass --new_tokens " + Math.max(1, positions - longest - 1) + " or less");
        }
    }

    private static void write(Path outDir, EvaluationReport report, List<OpenEndedProtocol.Example> examples,
                              List<OpenEndedEvaluation.Round> rounds) {
        try {
            Files.createDirectories(outDir);
            Path tmpReport = outDir.resolve("evaluation.json.tmp"), tmpGen = outDir.resolve("generations.jsonl.tmp");
            try {
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
                Files.move(tmpGen, outDir.resolve("generations.jsonl"), StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmpReport, outDir.resolve("evaluation.json"), StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmpGen);
                Files.deleteIfExists(tmpReport);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw UserError.of(outDir, "cannot write the evaluation (" + e.getMessage() + ")", "check the folder's permissions and free space");
        }
    }
}

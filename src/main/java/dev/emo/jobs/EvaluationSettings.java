package dev.emo.jobs;

import dev.emo.UserError;
import dev.emo.evaluation.OpenEndedProtocol;
import dev.emo.generation.Sampling;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The open-ended evaluation's settings (the paper's protocol): ranges checked in the constructor,
 * files and folders by {@link #checkPaths} — both before any model is loaded or sampled.
 *
 * @param limit              at most this many examples (0: all that qualify)
 * @param featurizer         sentence | sentence:DIR | self | DIR (see {@code evaluate --help})
 * @param perplexityFile     null: the data itself for plain-text protocols
 * @param maxPerplexityTexts 0: all documents
 */
public record EvaluationSettings(Path data, String protocol, int limit, int rounds, int newTokens, Sampling sampling, long seed,
                                 int batchSize, String featurizer, int maxTextLength, int mauveSeed, Path oracleModel,
                                 Path referenceModel, Path perplexityFile, int maxPerplexityTexts) {
    public EvaluationSettings {
        positive("--rounds", rounds);
        positive("--new_tokens", newTokens);
        positive("--batch_size", batchSize);
        positive("--max_text_length", maxTextLength);
        if (limit < 0) throw UserError.of("--limit", "is " + limit, "pass 0 (all) or a positive count");
        if (maxPerplexityTexts < 0) throw UserError.of("--max_perplexity_texts", "is " + maxPerplexityTexts, "pass 0 (all) or a positive count");
        if (data == null) throw UserError.of("--data", "missing", "pass the test split to draw prefixes from");
        if (sampling == null) throw UserError.of("sampling", "missing", "pass greedy or sampling settings");
        OpenEndedProtocol p = OpenEndedProtocol.named(protocol);
        if (referenceModel != null && perplexityFile == null && p.source() == OpenEndedProtocol.LineSource.AG_NEWS_CSV) {
            throw UserError.of("--reference_model", "needs plain text, and the " + p.name() + " data is CSV", "pass --perplexity_file");
        }
    }

    private static void positive(String flag, int value) {
        if (value < 1) throw UserError.of(flag, "is " + value, "pass 1 or more");
    }

    /** Every input file and model folder exists; the output folder is a folder or nothing. Reads only. */
    public void checkPaths(Path outputDir) {
        requireFile(data, "--data");
        if (perplexityFile != null) requireFile(perplexityFile, "--perplexity_file");
        if (referenceModel != null && perplexityFile != null && dev.emo.data.InstructionData.isInstructionFile(perplexityFile)) {
            throw UserError.of(perplexityFile, "is instruction data, and --reference_model's cross-entropies are measured on plain text",
                    "pass a plain-text --perplexity_file with --reference_model");
        }
        for (Path dir : new Path[]{oracleModel, referenceModel}) {
            if (dir != null && !Files.isDirectory(dir)) throw UserError.of(dir, "model folder not found", "pass an exported model folder");
        }
        requireFolderOrNothing(outputDir);
    }

    /** An output folder must be a folder or not exist yet. */
    public static void requireFolderOrNothing(Path dir) {
        if (dir != null && Files.exists(dir) && !Files.isDirectory(dir)) {
            throw UserError.of(dir, "is a file, not a folder", "pass a folder (new or existing) as --output_dir");
        }
    }

    private static void requireFile(Path file, String flag) {
        if (!Files.isRegularFile(file)) throw UserError.of(file, "not found", "pass an existing file to " + flag);
    }

    /** The plain-text file perplexity is measured on, or null (the CSV protocol without --perplexity_file). */
    public Path perplexityText() {
        if (perplexityFile != null) return perplexityFile;
        return OpenEndedProtocol.named(protocol).source() == OpenEndedProtocol.LineSource.AG_NEWS_CSV ? null : data;
    }

    /** Everything that changes an evaluation's numbers: a report made with other settings is not reused. */
    public String key() {
        return String.join("|", OpenEndedProtocol.named(protocol).name(), data.toAbsolutePath().normalize().toString(),
                "limit=" + limit, "rounds=" + rounds, "new=" + newTokens, sampling.toString(), "seed=" + seed,
                "features=" + featurizer, "maxlen=" + maxTextLength, "mauve_seed=" + mauveSeed, "oracle=" + oracleModel,
                "reference=" + referenceModel, "ppl=" + perplexityText(), "ppl_texts=" + maxPerplexityTexts);
    }
}

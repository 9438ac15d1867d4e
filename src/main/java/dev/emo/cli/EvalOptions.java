package dev.emo.cli;

import dev.emo.SharedData;
import dev.emo.jobs.EvaluationSettings;
import dev.emo.generation.Sampling;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options of the open-ended evaluation, shared by {@code evaluate} and {@code compare}. */
final class EvalOptions {
    @Option(names = "--data", description = "test split to draw prefixes from (default: $EMO_SHARED/data/ptb/ptb.test.txt)")
    Path data;

    @Option(names = "--protocol", defaultValue = "ptb", description = "wikitext | ptb | ag_news | webtext | writingprompts: prefix/continuation words and lines scanned (default: ${DEFAULT-VALUE})")
    String protocol;

    @Option(names = "--limit", defaultValue = "0", description = "at most N examples (0 = all that qualify in the protocol's lines)")
    int limit;

    @Option(names = "--rounds", defaultValue = "5", description = "sampling repeated with seeds seed..seed+rounds-1; mean ± sd reported (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--new_tokens", defaultValue = "80", description = "tokens generated per prefix (min_new_tokens; default: ${DEFAULT-VALUE})")
    int newTokens;

    @Option(names = "--temperature", defaultValue = "1.0", description = "default: ${DEFAULT-VALUE} (unbiased sampling)")
    double temperature;

    @Option(names = "--top_k", defaultValue = "0", description = "0 = no cut (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--top_p", defaultValue = "1.0", description = "1 = no cut (default: ${DEFAULT-VALUE})")
    double topP;

    @Option(names = "--greedy", description = "greedy decoding instead of sampling")
    boolean greedy;

    @Option(names = "--seed", defaultValue = "42", description = "sampling seed of round 1 (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--batch_size", defaultValue = "16", description = "prompts decoded together (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--featurizer", defaultValue = "sentence",
            description = "MAUVE features: sentence (all-MiniLM-L6-v2) | sentence:DIR (a sentence-transformers ONNX export) | self (the evaluated model's last hidden state) | DIR (another exported causal LM, e.g. GPT-2 large) (default: ${DEFAULT-VALUE})")
    String featurizer;

    @Option(names = "--max_text_length", defaultValue = "256", description = "causal-LM featurizers (self, DIR): truncation in tokens, as MAUVE's max_text_length; sentence embedders keep their own max_seq_length (default: ${DEFAULT-VALUE})")
    int maxTextLength;

    @Option(names = "--mauve_seed", defaultValue = "25", description = "MAUVE's PCA/k-means seed (default: ${DEFAULT-VALUE})")
    int mauveSeed;

    @Option(names = "--oracle_model", description = "exported causal LM whose perplexity of the generations is reported")
    Path oracleModel;

    @Option(names = "--reference_model", description = "exported causal LM (same vocabulary) for forward/reverse cross-entropy on --perplexity_file")
    Path referenceModel;

    @Option(names = "--perplexity_file", description = "text for perplexity and the distribution measures (default: --data for plain-text protocols)")
    Path perplexityFile;

    @Option(names = "--max_perplexity_texts", defaultValue = "0", description = "perplexity and distribution measures: the first N documents of --perplexity_file (0 = all)")
    int maxPerplexityTexts;

    /** The flags as job settings (ranges checked in the settings' constructor). */
    EvaluationSettings settings() {
        Sampling sampling = greedy ? Sampling.GREEDY : new Sampling(false, temperature, topK, topP);
        return new EvaluationSettings(data != null ? data : SharedData.data().resolve("ptb").resolve("ptb.test.txt"), protocol, limit,
                rounds, newTokens, sampling, seed, batchSize, featurizer, maxTextLength, mauveSeed, oracleModel, referenceModel,
                perplexityFile, maxPerplexityTexts);
    }
}

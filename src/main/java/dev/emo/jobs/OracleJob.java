package dev.emo.jobs;

import dev.emo.UserError;
import dev.emo.generation.Sampling;
import dev.emo.models.ModelConfig;
import dev.emo.registry.ModelFamilies;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The paper's oracle experiment (Table 2): corpora sampled from an oracle model P (train,
 * validation, test), a student Q fine-tuned on them with each objective × seed (a {@link CompareJob}),
 * and each tuned model scored against P: PPL_oracle of its generations, MAUVE and ROUGE against P's
 * own continuations of the test prefixes, forward and reverse cross-entropy between P and Q on the
 * validation corpus. Every step is resumable: the corpora complete themselves, finished runs and
 * evaluations are reused.
 *
 * @param student       fine-tuning settings for Q; its train and validation files are replaced by the sampled corpora
 * @param evaluation    evaluation settings; data, oracle, reference and perplexity file are set here
 * @param corpusSamples train, validation and test documents sampled from P
 */
public record OracleJob(Path oracle, FinetuneSettings student, List<String> objectives, List<Long> seeds, EvaluationSettings evaluation,
                        int[] corpusSamples, int sampleTokens, int sampleBatchSize, long sampleSeed, Path outputDir) {
    public OracleJob {
        if (corpusSamples.length != 3 || corpusSamples[0] < 1 || corpusSamples[1] < 1 || corpusSamples[2] < 1) {
            throw new UserError("--train_samples, --validation_samples and --test_samples: each must be at least 1");
        }
        if (sampleTokens < 1) throw new UserError("--sample_tokens " + sampleTokens + ": must be at least 1");
        if (sampleBatchSize < 1) throw new UserError("--sample_batch_size " + sampleBatchSize + ": must be at least 1");
        // P and Q must share the vocabulary: Q is trained on P's token stream and PPL_oracle scores Q's text with P
        ModelConfig p = ModelFamilies.config(oracle), q = ModelFamilies.config(student.model());
        int pv = ModelFamilies.tokenizer(oracle).vocabSize(), qv = ModelFamilies.tokenizer(student.model()).vocabSize();
        if (p.vocabSize() != q.vocabSize() || pv != qv) {
            throw UserError.of(student.model(), "its vocabulary (" + q.vocabSize() + " ids, tokenizer " + qv + ") differs from the oracle's ("
                    + p.vocabSize() + ", tokenizer " + pv + ")", "pair models that share a tokenizer");
        }
        objectives.forEach(dev.emo.objectives.Objective::of);
        dev.emo.util.Lists.requireDistinct("--objectives", objectives);
        dev.emo.util.Lists.requireDistinct("--seeds", seeds);
        // the test corpus must give the protocol's examples; found out after sampling six files otherwise
        var protocol = dev.emo.evaluation.OpenEndedProtocol.named(evaluation.protocol());
        int words = protocol.prefixWords() + protocol.continuationWords() + 10;
        if (sampleTokens < words) {
            throw new UserError("--sample_tokens " + sampleTokens + ": the test documents would be shorter than the " + protocol.name()
                    + " protocol's " + words + " words (prefix " + protocol.prefixWords() + " + continuation " + protocol.continuationWords()
                    + " + 10); pass --sample_tokens " + 2 * words + " or more (a word is often several tokens)");
        }
        EvaluationSettings.requireFolderOrNothing(outputDir);
        dev.emo.util.OutputLock.refuseIfHeld(outputDir.resolve(LOCK), outputDir, "oracle", "--output_dir");
    }

    /** Held while the experiment writes its folder (its corpora first, then the comparison, which takes compare.lock). */
    public static final String LOCK = "oracle.lock";

    public Path corpus(String split) {
        return outputDir.resolve("data").resolve(split + ".txt");
    }

    public CompareJob.Result run(SampleJob.Listener sampling, FinetuneJob.Listener training, EvaluationJob.Listener evaluating) throws IOException {
        boolean existed = Files.exists(outputDir);
        try {
            try (var lock = dev.emo.util.OutputLock.acquire(outputDir.resolve(LOCK), outputDir, "oracle", "--output_dir")) {
                return runLocked(sampling, training, evaluating);
            }
        } catch (RuntimeException e) {
            dev.emo.util.OutputLock.removeAfterFailure(outputDir.resolve(LOCK), existed);
            throw e;
        }
    }

    private CompareJob.Result runLocked(SampleJob.Listener sampling, FinetuneJob.Listener training, EvaluationJob.Listener evaluating) throws IOException {
        Files.createDirectories(outputDir.resolve("data"));
        String[] splits = {"train", "validation", "test"};
        for (int i = 0; i < 3; i++) {
            SampleJob.prepare(new SampleJob.Settings(oracle, null, corpusSamples[i], sampleTokens, sampleBatchSize, sampleSeed + i,
                    Sampling.ANCESTRAL, null, corpus(splits[i]))).run(sampling);
        }
        FinetuneSettings onCorpora = new FinetuneSettings(student.model(), corpus("train"), corpus("validation"), null, 5,
                student.textColumn(), student.blockSize(), student.lineByLine(), student.maxTrainSamples(), student.maxEvalSamples(),
                student.objective(), student.costEmbedding(), student.training(), false, null, student.lora(), student.spark(),
                FinetuneSettings.Instruction.DEFAULT, student.baseDtype());   // the sampled corpora are plain text
        EvaluationSettings e = evaluation;
        EvaluationSettings scored = new EvaluationSettings(corpus("test"), e.protocol(), e.limit(), e.rounds(), e.newTokens(), e.sampling(),
                e.seed(), e.batchSize(), e.featurizer(), e.maxTextLength(), e.mauveSeed(), oracle, oracle, corpus("validation"),
                e.maxPerplexityTexts());
        return new CompareJob(onCorpora, objectives, seeds, null, scored, outputDir).run(training, evaluating);
    }
}

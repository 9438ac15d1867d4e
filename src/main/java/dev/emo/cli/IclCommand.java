package dev.emo.cli;

import dev.emo.SharedData;
import dev.emo.embedding.SentenceEmbedder;
import dev.emo.embedding.TextEmbedder;
import dev.emo.icl.IclReport;
import dev.emo.icl.IclScorer;
import dev.emo.jobs.IclJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;

@Command(name = "icl", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"In-context-learning accuracy (the EMO paper's Table 3): retrieved demonstrations, PPL scoring of each label.",
                "Several --model folders (e.g. before and after tuning) give a comparison table and bar chart."})
final class IclCommand implements Callable<Integer> {
    @Option(names = {"--model", "--models"}, required = true, split = ",", description = "exported model folder; repeat or comma-separate to compare")
    List<Path> models;
    @Option(names = "--adapter", split = ",", description = "PEFT LoRA adapter folders, one per --model in order ('none' for a plain model)")
    List<String> adapters;
    @Option(names = "--tasks", split = ",", defaultValue = "tweet_eval,sst2,trec,subj,cr,rt,ag_news,mmlu", description = "default: ${DEFAULT-VALUE}")
    List<String> tasks;
    @Option(names = "--limit", defaultValue = "0", description = "test items per task, 0 = all (MMLU: in all, round-robin over subjects; default: ${DEFAULT-VALUE})")
    int limit;
    @Option(names = "--ice_num", defaultValue = "8", description = "retrieved demonstrations per input (MMLU: always its 5 dev questions; default: ${DEFAULT-VALUE})")
    int shots;
    @Option(names = "--retriever", defaultValue = "dense", description = "dense (sentence embeddings, the paper's) | tfidf (lexical, offline stand-in; default: ${DEFAULT-VALUE})")
    String retriever;
    @Option(names = "--embedder", description = "sentence-transformers ONNX export folder for --retriever dense (default: all-MiniLM-L6-v2)")
    Path embedderDir;
    @Option(names = "--batch_size", defaultValue = "8", description = "test inputs per forward pass, each with all its label continuations (default: ${DEFAULT-VALUE})")
    int batchSize;
    @Option(names = "--seed", defaultValue = "42", description = "splits of CR/RT/Subj/AG News and the order of test items (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--data_dir", description = "folder holding cls/, ag_news/, mmlu/ (default: $EMO_SHARED/data)")
    Path dataDir;
    @Option(names = "--output_dir", description = "where the CSV and PNG go (default: runs/icl-<time>)")
    Path outputDir;

    private final Function<Path, TextEmbedder> denseEmbedder;

    IclCommand() {
        this(IclCommand::sentenceEmbedder);
    }

    /** {@code denseEmbedder} builds the dense retriever's embedder from {@code --embedder} (null = the default model). */
    IclCommand(Function<Path, TextEmbedder> denseEmbedder) {
        this.denseEmbedder = denseEmbedder;
    }

    /** all-MiniLM-L6-v2 from its Maven Central artifact, or any sentence-transformers ONNX export folder. */
    static TextEmbedder sentenceEmbedder(Path folder) {
        return folder == null ? SentenceEmbedder.defaultModel() : SentenceEmbedder.fromFolder(folder);
    }

    @Override
    public Integer call() {
        if (dataDir != null && !java.nio.file.Files.isDirectory(dataDir)) {
            throw dev.emo.UserError.of(dataDir, "not found", "pass --data_dir the folder holding cls/, ag_news/ and mmlu/ (or leave it out for $EMO_SHARED/data)");
        }
        long t0 = System.nanoTime();
        List<Path> adapterDirs = adapters == null ? List.of()
                : adapters.stream().map(a -> a.equals("none") ? null : Path.of(a)).collect(java.util.stream.Collectors.toList());
        IclJob job = new IclJob(models, adapterDirs, tasks, limit, shots, retriever, embedderDir, batchSize, seed,
                dataDir != null ? dataDir : SharedData.data(), outputDir != null ? outputDir : Main.defaultOutputDir("icl"), denseEmbedder);
        Map<String, List<IclScorer.Result>> byModel = job.run();
        System.out.printf("in-context learning accuracy (%%): %s retrieval, %d demonstrations (MMLU 5 fixed), seed %d%s%n", retriever, shots, seed,
                limit > 0 ? ", first " + limit + " test items per task" : "");
        System.out.print(IclReport.table(byModel));
        System.out.printf("wrote %s and %s (%.1f s)%n", job.outputDir().resolve(IclReport.CSV_FILE), job.outputDir().resolve(IclReport.PNG_FILE),
                (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}

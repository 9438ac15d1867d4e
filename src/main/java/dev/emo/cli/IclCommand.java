package dev.emo.cli;

import dev.emo.embedding.SentenceEmbedder;

import dev.emo.SharedData;
import dev.emo.UserError;
import dev.emo.icl.HashedTfIdfEmbedder;
import dev.emo.icl.IclReport;
import dev.emo.icl.IclScorer;
import dev.emo.icl.Tasks;
import dev.emo.embedding.TextEmbedder;
import dev.emo.models.ModelConfig;
import dev.emo.models.Models;
import dev.emo.tokenizers.Tokenizer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;

@Command(name = "icl", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"In-context-learning accuracy (the EMO paper's Table 3): retrieved demonstrations, PPL scoring of each label.",
                "Several --model folders (e.g. before and after tuning) give a comparison table and bar chart."})
final class IclCommand implements Callable<Integer> {
    private static final Logger LOG = LogManager.getLogger(IclCommand.class);

    @Option(names = {"--model", "--models"}, required = true, split = ",", description = "exported model folder; repeat or comma-separate to compare")
    List<Path> models;
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
        long t0 = System.nanoTime();
        validate();
        if (outputDir == null) outputDir = Main.defaultOutputDir("icl");
        try { // now, so an unwritable folder fails before the run rather than after it
            Files.createDirectories(outputDir);
        } catch (IOException e) {
            throw UserError.of(outputDir, "cannot be created (" + e + ")", "pass a writable --output_dir");
        }
        Path data = dataDir != null ? dataDir : SharedData.data();
        Map<String, List<Tasks.Item>> items = items(data);

        Map<String, List<IclScorer.Result>> byModel = new LinkedHashMap<>();
        for (Path dir : models) {
            String label = modelLabel(dir);
            IclScorer scorer = new IclScorer(Models.load(dir, true).model(), Tokenizer.load(dir), batchSize);
            List<IclScorer.Result> results = new ArrayList<>();
            for (String task : tasks) {
                IclScorer.Result r = scorer.evaluate(task, items.get(task));
                LOG.info("{} {}: accuracy {} on {} items, {} demonstrations kept on average, {} inputs cut, {} s", label, task,
                        String.format("%.3f", r.accuracy()), r.n(), String.format("%.2f", r.meanDemos()), r.truncatedInputs(),
                        String.format("%.1f", r.seconds()));
                results.add(r);
            }
            byModel.put(label, results);
        }

        IclReport.writeCsv(outputDir.resolve(IclReport.CSV_FILE), byModel);
        IclReport.writeChart(outputDir.resolve(IclReport.PNG_FILE), byModel);
        System.out.printf("in-context learning accuracy (%%): %s retrieval, %d demonstrations (MMLU 5 fixed), seed %d%s%n", retriever, shots, seed,
                limit > 0 ? ", first " + limit + " test items per task" : "");
        System.out.print(IclReport.table(byModel));
        System.out.printf("wrote %s and %s (%.1f s)%n", outputDir.resolve(IclReport.CSV_FILE), outputDir.resolve(IclReport.PNG_FILE),
                (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    private void validate() {
        tasks.forEach(Tasks::requireKnown);
        if (limit < 0) throw UserError.of("--limit", "is " + limit, "pass 0 (all items) or a positive count");
        if (shots < 0) throw UserError.of("--ice_num", "is " + shots, "pass 0 or more demonstrations");
        if (batchSize < 1) throw UserError.of("--batch_size", "is " + batchSize, "pass 1 or more");
        if (!retriever.equals("dense") && !retriever.equals("tfidf")) {
            throw UserError.of("--retriever", "unknown retriever '" + retriever + "'", "choose dense or tfidf");
        }
        for (Path m : models) ModelConfig.read(m); // a typo in the last folder should fail now, not after the first model's run
        if (models.stream().map(m -> m.toAbsolutePath().normalize()).distinct().count() < models.size()) {
            throw UserError.of("--model", "the same folder is given twice", "pass each model folder once");
        }
    }

    /** Each task's items, built once for all models; the embedder only exists while retrieving. */
    private Map<String, List<Tasks.Item>> items(Path data) {
        Map<String, List<Tasks.Item>> out = new LinkedHashMap<>();
        TextEmbedder embedder = null;
        try {
            for (String task : tasks) {
                if (embedder == null && shots > 0 && Tasks.usesRetrieval(task)) {
                    embedder = retriever.equals("tfidf") ? new HashedTfIdfEmbedder() : denseEmbedder.apply(embedderDir);
                }
                long t = System.nanoTime();
                out.put(task, Tasks.items(task, data, seed, limit, shots, embedder));
                LOG.info("{}: {} test items ready ({} s)", task, out.get(task).size(), String.format("%.1f", (System.nanoTime() - t) / 1e9));
            }
        } finally {
            if (embedder != null) embedder.close();
        }
        return out;
    }

    /** The folder's name, or the path as given when two folders share a name. */
    private String modelLabel(Path dir) {
        String name = dir.toAbsolutePath().normalize().getFileName().toString();
        long same = models.stream().filter(m -> m.toAbsolutePath().normalize().getFileName().toString().equals(name)).count();
        return same > 1 ? dir.toString() : name;
    }
}

package dev.emo.jobs;

import dev.emo.UserError;
import dev.emo.embedding.TextEmbedder;
import dev.emo.icl.HashedTfIdfEmbedder;
import dev.emo.icl.IclReport;
import dev.emo.icl.IclScorer;
import dev.emo.icl.Tasks;
import dev.emo.registry.Models;
import dev.emo.tokenizers.Tokenizer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * In-context-learning accuracy (the EMO paper's Table 3) of one or more model folders: retrieved
 * demonstrations, each label's prompt scored by its mean token cross-entropy; writes the CSV and the
 * bar chart into the output folder. Everything is checked in the constructor, before any model loads.
 *
 * @param shots         retrieved demonstrations per input (MMLU: always its 5 dev questions)
 * @param retriever     dense | tfidf
 * @param denseEmbedder builds the dense retriever's embedder from {@code embedderDir} (null: the default model)
 * @param adapters      one PEFT adapter folder per model (null entries: none), or an empty list
 */
public record IclJob(List<Path> models, List<Path> adapters, List<String> tasks, int limit, int shots, String retriever, Path embedderDir, int batchSize,
                     long seed, Path dataDir, Path outputDir, Function<Path, TextEmbedder> denseEmbedder) {
    private static final Logger LOG = LogManager.getLogger(IclJob.class);

    public IclJob {
        models = List.copyOf(models);
        if (!adapters.isEmpty() && adapters.size() != models.size()) {
            throw UserError.of("--adapter", adapters.size() + " adapters for " + models.size() + " models",
                    "give one per --model, 'none' where a model has none");
        }
        adapters = java.util.Collections.unmodifiableList(new ArrayList<>(adapters));
        for (Path a : adapters) {
            if (a != null && !dev.emo.registry.PeftAdapter.present(a)) {
                throw UserError.of(a, "is not a PEFT adapter folder (adapter_config.json + adapter_model.safetensors)", "pass a LoRA run's best/");
            }
        }
        tasks = List.copyOf(tasks);
        tasks.forEach(Tasks::requireKnown);
        dev.emo.util.Lists.requireDistinct("--tasks", tasks);   // a task twice would be scored and averaged twice
        if (limit < 0) throw UserError.of("--limit", "is " + limit, "pass 0 (all items) or a positive count");
        if (shots < 0) throw UserError.of("--ice_num", "is " + shots, "pass 0 or more demonstrations");
        if (batchSize < 1) throw UserError.of("--batch_size", "is " + batchSize, "pass 1 or more");
        if (!retriever.equals("dense") && !retriever.equals("tfidf")) {
            throw UserError.of("--retriever", "unknown retriever '" + retriever + "'", "choose dense or tfidf");
        }
        for (Path m : models) dev.emo.registry.ModelFamilies.config(m); // a typo in the last folder should fail now, not after the first model's run
        if (adapters.isEmpty() && models.stream().map(m -> m.toAbsolutePath().normalize()).distinct().count() < models.size()) {
            throw UserError.of("--model", "the same folder is given twice", "pass each model folder once");
        }
        EvaluationSettings.requireFolderOrNothing(outputDir);
    }

    /** Accuracy per model label (the folder's name), one result per task; the CSV and PNG are written. */
    public Map<String, List<IclScorer.Result>> run() {
        try { // now, so an unwritable folder fails before the run rather than after it
            Files.createDirectories(outputDir);
        } catch (IOException e) {
            throw UserError.of(outputDir, "cannot be created (" + e + ")", "pass a writable --output_dir");
        }
        Map<String, List<Tasks.Item>> items = items();
        Map<String, List<IclScorer.Result>> byModel = new LinkedHashMap<>();
        for (int m = 0; m < models.size(); m++) {
            Path dir = models.get(m), adapter = adapters.isEmpty() ? null : adapters.get(m);
            String label = label(dir) + (adapter == null ? "" : "+" + adapterLabel(adapter));
            IclScorer scorer = new IclScorer(Models.loadWithAdapter(dir, adapter, true).model(), dev.emo.registry.ModelFamilies.tokenizer(dir), batchSize);
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
        return byModel;
    }

    /** Each task's items, built once for all models; the embedder only exists while retrieving. */
    private Map<String, List<Tasks.Item>> items() {
        Map<String, List<Tasks.Item>> out = new LinkedHashMap<>();
        TextEmbedder embedder = null;
        try {
            for (String task : tasks) {
                if (embedder == null && shots > 0 && Tasks.usesRetrieval(task)) {
                    embedder = retriever.equals("tfidf") ? new HashedTfIdfEmbedder() : denseEmbedder.apply(embedderDir);
                }
                long t = System.nanoTime();
                out.put(task, Tasks.items(task, dataDir, seed, limit, shots, embedder));
                LOG.info("{}: {} test items ready ({} s)", task, out.get(task).size(), String.format("%.1f", (System.nanoTime() - t) / 1e9));
            }
        } finally {
            if (embedder != null) embedder.close();
        }
        return out;
    }

    /** "RUN" for a run's best/ folder, else the folder's name. */
    private static String adapterLabel(Path adapter) {
        Path a = adapter.toAbsolutePath().normalize();
        return a.getFileName().toString().equals("best") && a.getParent() != null ? a.getParent().getFileName().toString() : a.getFileName().toString();
    }

    /** The folder's name, or the path as given when two folders share a name. */
    private String label(Path dir) {
        String name = dir.toAbsolutePath().normalize().getFileName().toString();
        long same = models.stream().filter(m -> m.toAbsolutePath().normalize().getFileName().toString().equals(name)).count();
        return same > 1 ? dir.toString() : name;
    }
}

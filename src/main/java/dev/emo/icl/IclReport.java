package dev.emo.icl;

import dev.emo.evaluation.Charts;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The accuracy table (console), the per-model, per-task CSV, and a grouped bar chart (PNG) of one or
 * more models' results. {@code byModel} maps a model's label to its results in task order; every
 * model ran the same tasks on the same items.
 */
public final class IclReport {
    public static final String CSV_FILE = "icl_accuracy.csv";
    public static final String PNG_FILE = "icl_accuracy.png";
    public static final List<String> CSV_HEADER = List.of("model", "task", "n", "correct", "accuracy", "random_baseline",
            "mean_demonstrations", "truncated_inputs", "seconds");

    private IclReport() {}

    /** task, n, random baseline, then each model's accuracy, in %; a last row averages over tasks. */
    public static String table(Map<String, List<IclScorer.Result>> byModel) {
        List<IclScorer.Result> first = byModel.values().iterator().next();
        int nameWidth = Math.max(12, byModel.keySet().stream().mapToInt(String::length).max().orElse(0));
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-12s %6s %7s", "task", "n", "random"));
        for (String model : byModel.keySet()) sb.append(String.format(Locale.ROOT, " %" + nameWidth + "s", model));
        sb.append('\n');
        double randomSum = 0;
        for (int t = 0; t < first.size(); t++) {
            String task = first.get(t).task();
            randomSum += Tasks.randomBaseline(task);
            sb.append(String.format(Locale.ROOT, "%-12s %6d %7.1f", task, first.get(t).n(), 100 * Tasks.randomBaseline(task)));
            for (List<IclScorer.Result> r : byModel.values()) sb.append(String.format(Locale.ROOT, " %" + nameWidth + ".1f", 100 * r.get(t).accuracy()));
            sb.append('\n');
        }
        sb.append(String.format(Locale.ROOT, "%-12s %6s %7.1f", "average", "", 100 * randomSum / first.size()));
        for (List<IclScorer.Result> r : byModel.values()) {
            sb.append(String.format(Locale.ROOT, " %" + nameWidth + ".1f", 100 * r.stream().mapToDouble(IclScorer.Result::accuracy).average().orElse(Double.NaN)));
        }
        return sb.append('\n').toString();
    }

    public static void writeCsv(Path file, Map<String, List<IclScorer.Result>> byModel) {
        CSVFormat format = CSVFormat.DEFAULT.builder().setHeader(CSV_HEADER.toArray(String[]::new)).build();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");     // renamed when complete
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8); CSVPrinter csv = new CSVPrinter(w, format)) {
            for (Map.Entry<String, List<IclScorer.Result>> e : byModel.entrySet()) {
                for (IclScorer.Result r : e.getValue()) {
                    csv.printRecord(e.getKey(), r.task(), r.n(), r.correct(), r.accuracy(), Tasks.randomBaseline(r.task()),
                            r.meanDemos(), r.truncatedInputs(), String.format(Locale.ROOT, "%.1f", r.seconds()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Grouped bars: tasks along x, one series per model plus the random baseline, accuracy in %. */
    public static void writeChart(Path file, Map<String, List<IclScorer.Result>> byModel) {
        List<String> tasks = byModel.values().iterator().next().stream().map(IclScorer.Result::task).toList();
        Map<String, List<Double>> series = new LinkedHashMap<>();
        byModel.forEach((model, results) -> series.put(model, results.stream().map(r -> 100 * r.accuracy()).toList()));
        series.put("random", tasks.stream().map(t -> 100 * Tasks.randomBaseline(t)).toList());
        Charts.groupedBars(file, "In-context learning accuracy", "task", "accuracy (%)", tasks, series, 100.0);
    }
}

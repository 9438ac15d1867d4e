package dev.emo.evaluation;

import dev.emo.UserError;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The EMO paper's open-ended generation protocol (its {@code test_utils.test_batch}): scan the first
 * {@code scanLines} lines of a test split, rounded up to a multiple of 64 as the reference's batched
 * loop does; skip lines shorter than 100 characters, with fewer than prefix + continuation + 10
 * space-separated pieces, or containing "=="; human text = the first {@code prefixWords} pieces +
 * " " + the next {@code continuationWords}. Pieces come from Python's {@code text.split(" ")}, so
 * WikiText's leading space yields an empty first piece, as in the reference.
 */
public record OpenEndedProtocol(String name, int prefixWords, int continuationWords, int scanLines, LineSource source) {
    /** How a dataset file becomes raw lines, as the Hugging Face dataset would present them. */
    public enum LineSource { RAW_LINES, STRIPPED_LINES, AG_NEWS_CSV }

    public static final List<OpenEndedProtocol> ALL = List.of(
            new OpenEndedProtocol("wikitext", 20, 80, 4000, LineSource.RAW_LINES),
            new OpenEndedProtocol("ptb", 5, 25, 4000, LineSource.STRIPPED_LINES),
            new OpenEndedProtocol("ag_news", 10, 30, 4000, LineSource.AG_NEWS_CSV),
            new OpenEndedProtocol("webtext", 20, 80, 5000, LineSource.RAW_LINES),
            new OpenEndedProtocol("writingprompts", 35, 80, 5000, LineSource.RAW_LINES));

    /** One evaluation example: the shared prefix and the human text (prefix + " " + gold continuation). */
    public record Example(String prefix, String human) {}

    public static OpenEndedProtocol named(String name) {
        String n = name.toLowerCase(Locale.ROOT).replace("-", "_");
        return ALL.stream().filter(p -> p.name.equals(n)).findFirst().orElseThrow(() -> new UserError(
                "--protocol " + name + ": unknown; use one of " + ALL.stream().map(OpenEndedProtocol::name).toList()));
    }

    /** Lines scanned: {@code scanLines} rounded up to the next multiple of 64 (the reference's batch loop). */
    public int linesScanned() {
        return (scanLines + 63) / 64 * 64;
    }

    /** Examples from a dataset file, in file order; at most {@code limit} (≤ 0: all that qualify). */
    public List<Example> examples(Path file, int limit) {
        List<String> lines = read(file);
        List<Example> out = new ArrayList<>();
        int scanned = Math.min(lines.size(), linesScanned());
        for (int i = 0; i < scanned && (limit <= 0 || out.size() < limit); i++) {
            String line = lines.get(i);
            String[] pieces = pySplitSpace(line);
            if (line.codePointCount(0, line.length()) < 100 || pieces.length < prefixWords + continuationWords + 10 || line.contains("==")) continue;
            String prefix = String.join(" ", Arrays.copyOfRange(pieces, 0, prefixWords));
            String gold = String.join(" ", Arrays.copyOfRange(pieces, prefixWords, prefixWords + continuationWords));
            out.add(new Example(prefix, prefix + " " + gold));
        }
        if (out.isEmpty()) {
            throw UserError.of(file, "no line qualifies for the " + name + " protocol (≥ 100 characters, ≥ "
                    + (prefixWords + continuationWords + 10) + " words, no \"==\")", "pass the dataset's test split");
        }
        return out;
    }

    /** Python's {@code s.split(" ")}: every single space separates, empty pieces kept. */
    static String[] pySplitSpace(String s) {
        return s.split(" ", -1);
    }

    private List<String> read(Path file) {
        if (!Files.isRegularFile(file)) throw UserError.of(file, "evaluation data file not found", "pass an existing file to --data");
        try {
            return switch (source) {
                case RAW_LINES -> Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(OpenEndedProtocol::stripCr).toList();
                case STRIPPED_LINES -> Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::strip).toList();
                case AG_NEWS_CSV -> agNews(file);
            };
        } catch (IOException | java.io.UncheckedIOException e) {
            throw UserError.of(file, "cannot be read (" + e.getMessage() + ")", "check the file's encoding (UTF-8) and permissions");
        }
    }

    /** AG News {@code "class","title","description"} without a header; the dataset's text is title + " " + description. */
    private static List<String> agNews(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (CSVRecord rec : CSVFormat.DEFAULT.parse(r)) {
                if (rec.size() != 3) {
                    throw UserError.of(file, "row " + rec.getRecordNumber() + " has " + rec.size() + " fields",
                            "pass AG News's test.csv (class, title, description)");
                }
                out.add(rec.get(1) + " " + rec.get(2));
            }
        }
        return out;
    }

    private static String stripCr(String s) {
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }
}

package dev.emo.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.UserError;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads training text as a list of documents, from the formats run_clm users bring: plain text
 * (one document per line; WikiText's raw format and PTB token files are plain text too, headings
 * and {@code <unk>} included), JSONL with a text field, and CSV/TSV with a named text column.
 * Blank lines are skipped.
 */
public final class TextFiles {
    public enum Format { TEXT, JSONL, CSV, TSV }

    private TextFiles() {}

    public static Format detect(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".jsonl") || n.endsWith(".json")) return Format.JSONL;
        if (n.endsWith(".csv")) return Format.CSV;
        if (n.endsWith(".tsv")) return Format.TSV;
        return Format.TEXT;
    }

    public static void requireFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw UserError.of(file, "training/validation file not found", "pass an existing file to --train_file / --validation_file");
        }
    }

    /** Training or validation documents. */
    public static List<String> read(Path file, Format format, String textColumn) {
        requireFile(file);
        return documents(file, format, textColumn);
    }

    /** Documents of another input (prompts, a perplexity text): a missing file is named by {@code flag}, not as training data. */
    public static List<String> read(Path file, Format format, String textColumn, String flag) {
        if (!Files.isRegularFile(file)) throw UserError.of(file, "not found", "pass an existing file to " + flag);
        return documents(file, format, textColumn);
    }

    private static List<String> documents(Path file, Format format, String textColumn) {
        List<String> docs;
        try {
            docs = switch (format) {
                case TEXT -> lines(file);
                case JSONL -> jsonl(file, textColumn);
                case CSV -> csv(file, CSVFormat.DEFAULT, textColumn);
                case TSV -> csv(file, CSVFormat.TDF, textColumn);
            };
        } catch (IOException | UncheckedIOException e) {
            throw UserError.of(file, "cannot be read (" + e.getMessage() + ")", "check the file's encoding (UTF-8) and permissions");
        }
        if (docs.isEmpty()) throw UserError.of(file, "holds no text", "pass a file with at least one non-blank line");
        return docs;
    }

    private static List<String> lines(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String l = stripCr(line);
            if (!l.isBlank()) out.add(l);
        }
        return out;
    }

    private static List<String> jsonl(Path file, String field) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> out = new ArrayList<>();
        int n = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            n++;
            if (line.isBlank()) continue;
            JsonNode node;
            try {
                node = json.readTree(line);
            } catch (IOException e) {
                throw UserError.of(file, "line " + n + " is not valid JSON", "write one JSON object per line");
            }
            JsonNode text = node.get(field);
            if (text == null || !text.isTextual()) {
                throw UserError.of(file, "line " + n + " has no string field '" + field + "'", "name the field with --text_column");
            }
            if (!text.asText().isBlank()) out.add(text.asText());
        }
        return out;
    }

    private static List<String> csv(Path file, CSVFormat base, String column) throws IOException {
        CSVFormat format = base.builder().setHeader().setSkipHeaderRecord(true).build();
        List<String> out = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8); CSVParser p = format.parse(r)) {
            if (!p.getHeaderMap().containsKey(column)) {
                throw UserError.of(file, "has no column '" + column + "' (columns: " + p.getHeaderNames() + ")",
                        "name the text column with --text_column");
            }
            int width = p.getHeaderNames().size();
            for (CSVRecord rec : p) {
                if (rec.size() != width) {
                    throw UserError.of(file, "row " + rec.getRecordNumber() + " has " + rec.size() + " fields, the header has " + width,
                            "fix the row (quote fields that contain the delimiter)");
                }
                String text = rec.get(column);
                if (!text.isBlank()) out.add(text);
            }
        } catch (IllegalStateException | java.io.UncheckedIOException e) {
            throw UserError.of(file, "is malformed CSV (" + e.getMessage() + ")", "fix the quoting of that row");
        }
        return out;
    }

    private static String stripCr(String s) {
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }
}

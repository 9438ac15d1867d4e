package dev.emo.icl;

import dev.emo.UserError;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * Readers for the original file formats of the classification sets under {@code data/}, each giving
 * {@link Example}s with labels numbered as the task's {@link Template} verbalisers. Texts are stripped
 * of surrounding whitespace; files that are not valid UTF-8 (rt-polarity, subj.subjective,
 * TREC.train) are read as Latin-1, as Hugging Face's rotten_tomatoes loader does.
 */
public final class Datasets {
    /** Share of a set without an official split that becomes the test set (seeded shuffle; the rest is the pool). */
    public static final double TEST_FRACTION = 0.2;

    /** TREC coarse classes in Hugging Face's coarse_label order (the template's order). */
    static final List<String> TREC_COARSE = List.of("ABBR", "ENTY", "DESC", "HUM", "LOC", "NUM");

    private Datasets() {}

    /** Demonstration pool and test set of one task. */
    public record Split(List<Example> pool, List<Example> test) {}

    /** {@code label text} lines (SST-2's stsa.binary.*: 0 negative, 1 positive). */
    static List<Example> labelFirst(Path file, int numLabels) {
        List<Example> out = new ArrayList<>();
        for (String line : lines(file, false)) {
            int space = line.indexOf(' ');
            int label = space < 0 ? -1 : parseLabel(line.substring(0, space), numLabels);
            if (label < 0) throw badLine(file, line, "'<label 0.." + (numLabels - 1) + "> <text>'");
            out.add(new Example(line.substring(space + 1).strip(), label));
        }
        return out;
    }

    /** TREC's {@code COARSE:fine question} lines, labelled by the coarse class. */
    static List<Example> trec(Path file) {
        List<Example> out = new ArrayList<>();
        for (String line : lines(file, false)) {
            int colon = line.indexOf(':'), space = line.indexOf(' ');
            int label = colon < 0 || space < colon ? -1 : TREC_COARSE.indexOf(line.substring(0, colon));
            if (label < 0) throw badLine(file, line, "'COARSE:fine question' with COARSE one of " + TREC_COARSE);
            out.add(new Example(line.substring(space + 1).strip(), label));
        }
        return out;
    }

    /** One text per line per class file, labelled by the file's position (CR, MR, Subj). */
    static List<Example> filePerLabel(List<Path> files) {
        List<Example> out = new ArrayList<>();
        for (int label = 0; label < files.size(); label++) {
            for (String line : lines(files.get(label), false)) out.add(new Example(line, label));
        }
        return out;
    }

    /** TweetEval: a text file and a label file, line by line. */
    static List<Example> parallel(Path texts, Path labels, int numLabels) {
        List<String> t = lines(texts, true), l = lines(labels, true);
        if (t.size() != l.size()) {
            throw UserError.of(labels, "has " + l.size() + " lines but " + texts.getFileName() + " has " + t.size(),
                    "restore both files from the TweetEval release");
        }
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < t.size(); i++) {
            int label = parseLabel(l.get(i), numLabels);
            if (label < 0) throw badLine(labels, l.get(i), "a label 0.." + (numLabels - 1));
            out.add(new Example(t.get(i), label));
        }
        return out;
    }

    /** AG News {@code "class","title","description"} rows, class 1–4; the text is title + " " + description, as Hugging Face builds it. */
    static List<Example> agNews(Path file) {
        return csv(file, CSVFormat.DEFAULT, 3, r -> {
            int label = parseLabel(r.get(0), 5) - 1;
            if (label < 0) throw badLine(file, "row " + r.getRecordNumber(), "class 1..4 in the first column");
            return new Example(r.get(1).strip() + " " + r.get(2).strip(), label);
        });
    }

    /** MMLU {@code question,choice0..choice3,answer} rows; the text is the question with its lettered choices. */
    static List<Example> mmlu(Path file) {
        CSVFormat header = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build();
        return csv(file, header, 6, r -> {
            int label = parseLabel(r.get("answer"), 4);
            if (label < 0) throw badLine(file, "row " + r.getRecordNumber(), "answer 0..3");
            StringBuilder text = new StringBuilder(r.get("question").strip());
            for (int c = 0; c < 4; c++) text.append('\n').append((char) ('A' + c)).append(". ").append(r.get("choice" + c).strip());
            return new Example(text.toString(), label);
        });
    }

    /** Seeded shuffle; the first round(TEST_FRACTION·n) examples are the test set, the rest the pool. */
    static Split randomSplit(List<Example> all, long seed) {
        List<Example> shuffled = shuffled(all, seed);
        int test = (int) Math.round(TEST_FRACTION * all.size());
        return new Split(List.copyOf(shuffled.subList(test, shuffled.size())), List.copyOf(shuffled.subList(0, test)));
    }

    static <T> List<T> shuffled(List<T> items, long seed) {
        List<T> copy = new ArrayList<>(items);
        Collections.shuffle(copy, new Random(seed));
        return copy;
    }

    private static <T> List<T> csv(Path file, CSVFormat format, int columns, Function<CSVRecord, T> row) {
        List<T> out = new ArrayList<>();
        try (CSVParser p = CSVParser.parse(new StringReader(text(file)), format)) {
            Map<String, Integer> header = p.getHeaderMap();
            if (header != null && header.size() != columns) {
                throw UserError.of(file, "has columns " + p.getHeaderNames(), "expected question,choice0,choice1,choice2,choice3,answer");
            }
            for (CSVRecord r : p) {
                if (r.size() != columns) throw badLine(file, "row " + r.getRecordNumber() + " (" + r.size() + " fields)", columns + " fields");
                out.add(row.apply(r));
            }
        } catch (IOException | IllegalStateException | java.io.UncheckedIOException e) {
            throw UserError.of(file, "is malformed CSV (" + e.getMessage() + ")", "restore the file from its release");
        }
        return out;
    }

    /** Lines, stripped; blank lines dropped unless {@code keepBlank} (parallel files must stay aligned). */
    static List<String> lines(Path file, boolean keepBlank) {
        return text(file).lines().map(String::strip).filter(l -> keepBlank || !l.isEmpty()).toList();
    }

    /** The file's text: UTF-8 where valid, else Latin-1. */
    private static String text(Path file) {
        if (!Files.isRegularFile(file)) {
            throw UserError.of(file, "not found", "pass --data_dir the folder holding cls/, ag_news/ and mmlu/ (default: $EMO_SHARED/data; README: in-context learning)");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw UserError.of(file, "cannot be read (" + e.getMessage() + ")", "check its permissions");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
    }

    private static int parseLabel(String s, int numLabels) {
        try {
            int v = Integer.parseInt(s.strip());
            return v >= 0 && v < numLabels ? v : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static UserError badLine(Path file, String line, String expected) {
        String shown = line.length() > 60 ? line.substring(0, 60) + "…" : line;
        return UserError.of(file, "unexpected line '" + shown + "'", "expected " + expected);
    }
}

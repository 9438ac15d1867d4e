package dev.emo.cli;

import dev.emo.Fixtures;
import dev.emo.icl.IclReport;
import dev.emo.embedding.TextEmbedder;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `icl` end to end on stories260k: the table, the CSV behind it, the chart; comparison mode; bad input. */
class IclCommandTest {
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G'};

    @TempDir
    Path tmp;

    /** Letter frequencies: a deterministic stand-in for the sentence embedder; records what it was asked. */
    private static final class LetterEmbedder implements TextEmbedder {
        final List<Integer> callSizes = new ArrayList<>();

        @Override
        public float[][] embed(List<String> texts) {
            callSizes.add(texts.size());
            float[][] rows = new float[texts.size()][26];
            for (int i = 0; i < rows.length; i++) {
                for (char c : texts.get(i).toLowerCase(Locale.ROOT).toCharArray()) if (c >= 'a' && c <= 'z') rows[i][c - 'a']++;
            }
            return rows;
        }
    }

    private static List<CSVRecord> csv(Path file) throws IOException {
        try (CSVParser p = CSVParser.parse(file, StandardCharsets.UTF_8, CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build())) {
            assertEquals(IclReport.CSV_HEADER, p.getHeaderNames());
            return p.getRecords();
        }
    }

    private static void assertPng(Path file) throws IOException {
        assertArrayEquals(PNG_MAGIC, Arrays.copyOf(Files.readAllBytes(file), 4), file + " is a PNG");
    }

    @Test
    void sst2OnThreeItemsWithTheInjectedEmbedder() throws IOException {
        String model = Fixtures.model("stories260k").toString();
        LetterEmbedder embedder = new LetterEmbedder();
        CliRun r = CliRun.command(new IclCommand(folder -> embedder), "--model", model, "--limit", "3", "--tasks", "sst2",
                "--output_dir", tmp.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of(6920 + 3), embedder.callSizes, "the SST-2 train pool and the 3 test inputs, embedded once");

        List<CSVRecord> rows = csv(tmp.resolve(IclReport.CSV_FILE));
        assertEquals(1, rows.size());
        CSVRecord row = rows.get(0);
        assertEquals(List.of("stories260k", "sst2", "3"), List.of(row.get("model"), row.get("task"), row.get("n")));
        double accuracy = Integer.parseInt(row.get("correct")) / 3.0;
        assertEquals(accuracy, Double.parseDouble(row.get("accuracy")), 1e-12);
        assertEquals(0.5, Double.parseDouble(row.get("random_baseline")), 1e-12);
        double demos = Double.parseDouble(row.get("mean_demonstrations"));
        assertTrue(demos >= 0 && demos <= 8, "demonstrations kept: " + demos);
        String line = r.out().lines().filter(l -> l.startsWith("sst2")).findFirst().orElseThrow();
        assertEquals(List.of("sst2", "3", "50.0", String.format(Locale.ROOT, "%.1f", 100 * accuracy)), List.of(line.trim().split("\\s+")), r.out());
        assertPng(tmp.resolve(IclReport.PNG_FILE));
    }

    @Test
    void twoModelsGiveAComparisonTableAndChart() throws IOException {
        String stories = Fixtures.model("stories260k").toString(), gpt2 = Fixtures.model("tiny-gpt2").toString();
        CliRun r = CliRun.of("icl", "--model", stories, "--model", gpt2, "--retriever", "tfidf", "--tasks", "sst2,mmlu", "--limit", "2",
                "--output_dir", tmp.toString());
        assertEquals(0, r.code(), r.err());
        String header = r.out().lines().filter(l -> l.startsWith("task")).findFirst().orElseThrow();
        assertTrue(header.contains("stories260k") && header.contains("tiny-gpt2"), r.out());
        List<CSVRecord> rows = csv(tmp.resolve(IclReport.CSV_FILE));
        assertEquals(List.of("stories260k/sst2", "stories260k/mmlu", "tiny-gpt2/sst2", "tiny-gpt2/mmlu"),
                rows.stream().map(x -> x.get("model") + "/" + x.get("task")).toList());
        assertPng(tmp.resolve(IclReport.PNG_FILE));
    }

    @Test
    void unknownTaskIsOneLineAndExitCode2() {
        CliRun r = CliRun.of("icl", "--model", Fixtures.model("stories260k").toString(), "--tasks", "sst2,sst3");
        assertEquals(2, r.code());
        String err = r.err().strip();
        assertTrue(err.startsWith("error: ") && !err.contains("\n") && err.contains("sst3") && err.contains("tweet_eval"), err);
    }
}

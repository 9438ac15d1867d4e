package dev.emo.icl;

import dev.emo.SharedData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each loader against its files: split sizes, label counts per class, label names, seeded splits. */
class DatasetsTest {
    private static Path data(String sub) {
        Path p = SharedData.data().resolve(sub);
        Assumptions.assumeTrue(Files.exists(p), SharedData.missingMessage("data/" + sub));
        return p;
    }

    /** Non-blank lines, read as bytes so a Latin-1 file counts the same. */
    private static List<String> rawLines(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).lines().filter(l -> !l.isBlank()).toList();
    }

    private static Map<Integer, Long> labelCounts(List<Example> examples) {
        return examples.stream().collect(Collectors.groupingBy(Example::label, Collectors.counting()));
    }

    private static <T> Map<Integer, Long> countBy(List<T> items, Function<T, Integer> label) {
        Map<Integer, Long> m = new HashMap<>();
        for (T t : items) m.merge(label.apply(t), 1L, Long::sum);
        return m;
    }

    @Test
    void sst2UsesTheOfficialSplitsWithOneForPositive() throws IOException {
        Path dir = data("cls/sst2");
        Datasets.Split s = Tasks.load("sst2", SharedData.data(), 42);
        List<String> train = rawLines(dir.resolve("stsa.binary.train")), test = rawLines(dir.resolve("stsa.binary.test"));
        assertEquals(countBy(train, l -> l.startsWith("1 ") ? 1 : 0), labelCounts(s.pool()));
        assertEquals(countBy(test, l -> l.startsWith("1 ") ? 1 : 0), labelCounts(s.test()));
        assertEquals("positive", Template.classification("sst2").verbalisers().get(1));
        assertEquals(test.get(0).substring(2).strip(), s.test().get(0).text());
    }

    @Test
    void tweetEvalLabelsComeFromTheLabelFilesInMappingOrder() throws IOException {
        Path dir = data("cls/tweeteval_emotion");
        Datasets.Split s = Tasks.load("tweet_eval", SharedData.data(), 42);
        assertEquals(countBy(rawLines(dir.resolve("train_labels.txt")), l -> Integer.parseInt(l.strip())), labelCounts(s.pool()));
        assertEquals(countBy(rawLines(dir.resolve("test_labels.txt")), l -> Integer.parseInt(l.strip())), labelCounts(s.test()));
        List<String> mapping = rawLines(dir.resolve("mapping.txt")).stream().map(l -> l.split("\t")[1].strip()).toList();
        assertEquals(mapping, Template.classification("tweet_eval").verbalisers());
    }

    @Test
    void trecCoarseClassesMapToTheirVerbalisers() throws IOException {
        Path dir = data("cls/trec");
        Map<String, String> names = Map.of("ABBR", "abbreviation", "ENTY", "entity", "DESC", "description and abstract concept",
                "HUM", "human being", "LOC", "location", "NUM", "numerical value");
        Datasets.Split s = Tasks.load("trec", SharedData.data(), 42);
        List<String> verbalisers = Template.classification("trec").verbalisers();
        for (var pair : List.of(Map.entry(rawLines(dir.resolve("TREC.train")), s.pool()), Map.entry(rawLines(dir.resolve("TREC.test")), s.test()))) {
            assertEquals(pair.getKey().size(), pair.getValue().size());
            for (int i = 0; i < pair.getKey().size(); i++) {
                String coarse = pair.getKey().get(i).substring(0, pair.getKey().get(i).indexOf(':'));
                assertEquals(names.get(coarse), verbalisers.get(pair.getValue().get(i).label()), pair.getKey().get(i));
            }
        }
    }

    @Test
    void setsWithoutASplitAreSplitBySeedIntoDisjointPoolAndTest() throws IOException {
        Map<String, List<String>> files = Map.of("subj", List.of("cls/subj/subj.objective", "cls/subj/subj.subjective"),
                "cr", List.of("cls/cr/custrev.neg", "cls/cr/custrev.pos"), "rt", List.of("cls/mr/rt-polarity.neg", "cls/mr/rt-polarity.pos"));
        for (var e : files.entrySet()) {
            Map<Integer, Long> perFile = new HashMap<>();
            for (int label = 0; label < 2; label++) perFile.put(label, (long) rawLines(data(e.getValue().get(label))).size());
            long total = perFile.values().stream().mapToLong(Long::longValue).sum();
            Datasets.Split s = Tasks.load(e.getKey(), SharedData.data(), 42);
            assertEquals(Math.round(Datasets.TEST_FRACTION * total), s.test().size(), e.getKey());
            assertEquals(total, s.pool().size() + s.test().size(), e.getKey());
            Map<Integer, Long> both = labelCounts(s.pool());
            labelCounts(s.test()).forEach((k, v) -> both.merge(k, v, Long::sum));
            assertEquals(perFile, both, e.getKey() + ": every line once, labelled by its file");
            assertEquals(s, Tasks.load(e.getKey(), SharedData.data(), 42), "same seed, same split");
            assertNotEquals(s.test(), Tasks.load(e.getKey(), SharedData.data(), 7).test(), "another seed, another split");
        }
        Set<String> subj = new HashSet<>();
        Tasks.load("subj", SharedData.data(), 42).pool().forEach(x -> subj.add(x.text()));
        Tasks.load("subj", SharedData.data(), 42).test().forEach(x -> subj.add(x.text()));
        assertTrue(subj.stream().anyMatch(t -> t.contains("h\u00e9roes")), "Latin-1 files are decoded as Latin-1");
    }

    @Test
    void agNewsJoinsTitleAndDescriptionWithClassesOneToFour() throws IOException {
        List<String> rows = rawLines(data("ag_news/test.csv"));
        Datasets.Split s = Tasks.load("ag_news", SharedData.data(), 42);
        List<Example> all = new java.util.ArrayList<>(s.pool());
        all.addAll(s.test());
        assertEquals(countBy(rows, r -> r.charAt(1) - '1'), labelCounts(all));
        Example first = all.stream().filter(x -> x.text().startsWith("Fears for T N pension after talks Unions representing")).findFirst().orElseThrow();
        assertEquals("business", Template.classification("ag_news").verbalisers().get(first.label()));
        assertEquals(List.of("World", "Sports", "Business", "Sci/Tech"), rawLines(data("ag_news/classes.txt")));
    }

    @Test
    void mmluIsFiveDevQuestionsPerSubjectAndRoundRobinUnderALimit() throws IOException {
        Path dir = data("mmlu");
        List<String> subjects = Tasks.mmluSubjects(dir);
        long testRows = 0;
        for (String subject : subjects) {
            try (var p = org.apache.commons.csv.CSVParser.parse(dir.resolve("test").resolve(subject + "_test.csv"), StandardCharsets.UTF_8,
                    org.apache.commons.csv.CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build())) {
                testRows += p.getRecords().size();
            }
        }
        assertEquals(57, subjects.size());
        assertEquals(testRows, Tasks.mmluItems(dir, 0).size());

        List<Tasks.Item> items = Tasks.mmluItems(dir, subjects.size() + 1);
        assertEquals(subjects.size(), items.subList(0, subjects.size()).stream().map(i -> i.template().header()).distinct().count());
        assertEquals(items.get(0).template(), items.get(subjects.size()).template(), "the 58th item is the first subject's second");
        assertTrue(items.stream().allMatch(i -> i.demos().size() == Tasks.MMLU_SHOTS));
        Example firstDemo = items.get(0).demos().get(0);
        assertEquals(new Example("Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.\nA. 0\nB. 1\nC. 2\nD. 3", 1), firstDemo);
    }
}

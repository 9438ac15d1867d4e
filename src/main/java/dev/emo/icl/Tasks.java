package dev.emo.icl;

import dev.emo.embedding.TextEmbedder;

import dev.emo.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The eight tasks of the EMO paper's Table 3, their data under {@code data/}, and how each test input
 * becomes an {@link Item}: its demonstrations are the {@code shots} pool examples nearest to it
 * ({@link Retriever}), or for MMLU the subject's five dev questions in file order.
 */
public final class Tasks {
    public static final List<String> ALL = List.of("tweet_eval", "sst2", "trec", "subj", "cr", "rt", "ag_news", "mmlu");
    /** MMLU is 5-shot with the fixed dev demonstrations. */
    static final int MMLU_SHOTS = 5;

    private Tasks() {}

    /** One test input with its demonstrations (most similar first) and the template that renders them. */
    public record Item(Template template, List<Example> demos, Example query) {}

    public static void requireKnown(String task) {
        if (!ALL.contains(task)) throw UserError.of("--tasks", "unknown task '" + task + "'", "choose from " + String.join(",", ALL));
    }

    public static boolean usesRetrieval(String task) {
        return !task.equals("mmlu");
    }

    /** 1 / number of labels. */
    public static double randomBaseline(String task) {
        return 1.0 / (task.equals("mmlu") ? 4 : Template.classification(task).numLabels());
    }

    /**
     * Pool and test set of a classification task: the official train/test files where the set has
     * them (SST-2, TweetEval, TREC), else a seeded {@link Datasets#randomSplit} (Subj, CR, RT, and
     * AG News, of which only the official test file is here).
     */
    public static Datasets.Split load(String task, Path data, long seed) {
        Path cls = data.resolve("cls");
        return switch (task) {
            case "sst2" -> new Datasets.Split(Datasets.labelFirst(cls.resolve("sst2/stsa.binary.train"), 2),
                    Datasets.labelFirst(cls.resolve("sst2/stsa.binary.test"), 2));
            case "tweet_eval" -> {
                Path d = cls.resolve("tweeteval_emotion");
                yield new Datasets.Split(Datasets.parallel(d.resolve("train_text.txt"), d.resolve("train_labels.txt"), 4),
                        Datasets.parallel(d.resolve("test_text.txt"), d.resolve("test_labels.txt"), 4));
            }
            case "trec" -> new Datasets.Split(Datasets.trec(cls.resolve("trec/TREC.train")), Datasets.trec(cls.resolve("trec/TREC.test")));
            case "subj" -> Datasets.randomSplit(Datasets.filePerLabel(List.of(cls.resolve("subj/subj.objective"),
                    cls.resolve("subj/subj.subjective"))), seed);
            case "cr" -> Datasets.randomSplit(Datasets.filePerLabel(List.of(cls.resolve("cr/custrev.neg"), cls.resolve("cr/custrev.pos"))), seed);
            case "rt" -> Datasets.randomSplit(Datasets.filePerLabel(List.of(cls.resolve("mr/rt-polarity.neg"),
                    cls.resolve("mr/rt-polarity.pos"))), seed);
            case "ag_news" -> Datasets.randomSplit(Datasets.agNews(data.resolve("ag_news/test.csv")), seed);
            default -> throw new IllegalArgumentException("not a classification task: " + task);
        };
    }

    /**
     * The task's items: test inputs in a seeded random order, the first {@code limit} of them when
     * {@code limit > 0} (MMLU: {@code limit} in all, taken round-robin over the subjects).
     */
    public static List<Item> items(String task, Path data, long seed, int limit, int shots, TextEmbedder embedder) {
        if (task.equals("mmlu")) return mmluItems(data.resolve("mmlu"), limit);
        Datasets.Split split = load(task, data, seed);
        List<Example> test = Datasets.shuffled(split.test(), seed);
        if (limit > 0 && limit < test.size()) test = test.subList(0, limit);
        int[][] near = shots == 0 ? new int[test.size()][0] // zero-shot: nothing to retrieve, no embedder needed
                : Retriever.neighbours(embedder, split.pool().stream().map(Example::text).toList(), test.stream().map(Example::text).toList(), shots);
        Template template = Template.classification(task);
        List<Item> items = new ArrayList<>(test.size());
        for (int i = 0; i < test.size(); i++) {
            List<Example> demos = new ArrayList<>(near[i].length);
            for (int j : near[i]) demos.add(split.pool().get(j));
            items.add(new Item(template, demos, test.get(i)));
        }
        return items;
    }

    /** Every subject with a dev and a test file; items round-robin over subjects (in name order), each subject's in file order. */
    static List<Item> mmluItems(Path dir, int limit) {
        List<List<Item>> subjects = new ArrayList<>();
        for (String subject : mmluSubjects(dir)) {
            Template t = Template.mmlu(subject);
            List<Example> dev = Datasets.mmlu(dir.resolve("dev").resolve(subject + "_dev.csv"));
            List<Example> demos = dev.subList(0, Math.min(MMLU_SHOTS, dev.size()));
            subjects.add(Datasets.mmlu(dir.resolve("test").resolve(subject + "_test.csv")).stream()
                    .map(q -> new Item(t, demos, q)).toList());
        }
        int total = subjects.stream().mapToInt(List::size).sum();
        int want = limit > 0 ? Math.min(limit, total) : total;
        List<Item> out = new ArrayList<>(want);
        for (int round = 0; out.size() < want; round++) {
            for (List<Item> s : subjects) if (round < s.size() && out.size() < want) out.add(s.get(round));
        }
        return out;
    }

    static List<String> mmluSubjects(Path dir) {
        Path dev = dir.resolve("dev");
        try (Stream<Path> files = Files.list(dev)) {
            List<String> subjects = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith("_dev.csv"))
                    .map(n -> n.substring(0, n.length() - "_dev.csv".length())).sorted().toList();
            if (subjects.isEmpty()) throw UserError.of(dev, "holds no <subject>_dev.csv", "restore data/mmlu from its release");
            return subjects;
        } catch (IOException e) {
            throw UserError.of(dev, "cannot be listed (" + e.getMessage() + ")", "pass --data_dir the folder holding mmlu/ (default: $EMO_SHARED/data)");
        }
    }
}

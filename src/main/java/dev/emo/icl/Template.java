package dev.emo.icl;

import java.util.List;

/**
 * How an example becomes text: {@code beforeInput + X + afterInput + verbaliser + end}, e.g. SST-2's
 * {@code Review: "X" It is positive.} A prompt is the header, each demonstration rendered with its own
 * gold label and followed by the separator (most similar first, as OpenICL orders them), then the
 * test input rendered with the candidate label.
 */
public record Template(String header, String beforeInput, String afterInput, List<String> verbalisers, String end, String separator) {
    /** OpenICL's ice_separator / ice_eos_token between classification demonstrations. */
    static final String NEWLINE = "\n";

    public int numLabels() {
        return verbalisers.size();
    }

    public String render(String input, int label) {
        return beforeInput + input + afterInput + verbalisers.get(label) + end;
    }

    public String prompt(List<Example> demos, String input, int label) {
        StringBuilder sb = new StringBuilder(header);
        for (Example d : demos) sb.append(render(d.text(), d.label())).append(separator);
        return sb.append(render(input, label)).toString();
    }

    /** The EMO paper's templates (Table 3's tasks); CR and RT use SST-2's. */
    public static Template classification(String task) {
        return switch (task) {
            case "sst2", "cr", "rt" -> quoted("Review: ", "It is ", "negative", "positive");
            case "tweet_eval" -> quoted("Tweet: ", "It is ", "anger", "joy", "optimism", "sadness");
            case "trec" -> quoted("Question: ", "It is about ", "abbreviation", "entity", "description and abstract concept",
                    "human being", "location", "numerical value");
            case "subj" -> quoted("", "It is ", "objective", "subjective");
            case "ag_news" -> quoted("", "It is about ", "world", "sports", "business", "science and technology");
            default -> throw new IllegalArgumentException("no template for task " + task);
        };
    }

    /**
     * MMLU as Hendrycks et al.'s evaluation writes it: a header naming the subject, then questions
     * with lettered choices, each demonstration ending {@code Answer: B} and a blank line. The input X
     * is the question with its choices ({@link Datasets#mmlu}).
     */
    public static Template mmlu(String subject) {
        return new Template("The following are multiple choice questions (with answers) about " + subject.replace('_', ' ') + ".\n\n",
                "", "\nAnswer: ", List.of("A", "B", "C", "D"), "", "\n\n");
    }

    /** {@code <lead>"X" <stem><label>.} */
    private static Template quoted(String lead, String stem, String... labels) {
        return new Template("", lead + "\"", "\" " + stem, List.of(labels), ".", NEWLINE);
    }
}

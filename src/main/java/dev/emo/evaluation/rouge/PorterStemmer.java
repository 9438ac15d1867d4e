package dev.emo.evaluation.rouge;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * NLTK's {@code PorterStemmer()} in its default {@code NLTK_EXTENSIONS} mode (NLTK 3.8), which is
 * what {@code rouge_score} stems with. Besides Porter's 1980 paper this includes Martin Porter's
 * later extensions and NLTK's own: the irregular-forms table, words of one or two characters left
 * alone, {@code ies}/{@code ied} on four-letter words ({@code dies → die}), the {@code *o} test
 * accepting a two-letter vowel–consonant stem, {@code y → i} only after a consonant, {@code bli},
 * {@code alli} applied first and re-run through step 2, {@code fulli} and {@code logi}.
 *
 * <p>The rules are written as NLTK's ordered rule lists so each step can be read against NLTK's
 * source: the first rule whose suffix matches decides, and if its condition fails the step stops.
 * Characters are UTF-16 code units (NLTK indexes code points); ROUGE only stems {@code [a-z0-9]+}
 * tokens, where the two agree. Stateless and thread-safe.
 */
public final class PorterStemmer {

    /** NLTK's irregular forms: the word maps straight to its paradigm, bypassing the steps. */
    private static final Map<String, String> IRREGULAR = Map.ofEntries(
            Map.entry("sky", "sky"), Map.entry("skies", "sky"),
            Map.entry("dying", "die"), Map.entry("lying", "lie"), Map.entry("tying", "tie"),
            Map.entry("news", "news"),
            Map.entry("innings", "inning"), Map.entry("inning", "inning"),
            Map.entry("outings", "outing"), Map.entry("outing", "outing"),
            Map.entry("cannings", "canning"), Map.entry("canning", "canning"),
            Map.entry("howe", "howe"),
            Map.entry("proceed", "proceed"), Map.entry("exceed", "exceed"), Map.entry("succeed", "succeed"));

    /** One suffix rule: a word ending in {@code suffix} whose remaining stem passes becomes stem + replacement. */
    private record Rule(String suffix, String replacement, Predicate<String> condition) {}

    /** Marker suffix for Porter's {@code *d} (any double consonant), as in NLTK. */
    private static final String DOUBLE_CONSONANT = "*d";

    private static final List<Rule> STEP1A = List.of(
            new Rule("sses", "ss", null),
            new Rule("ies", "i", null),
            new Rule("ss", "ss", null),
            new Rule("s", "", null));

    private static final List<Rule> STEP1C = List.of(
            new Rule("y", "i", s -> s.length() > 1 && isConsonant(s, s.length() - 1)));

    private static final List<Rule> STEP2 = List.of(
            step2Rule("ational", "ate"), step2Rule("tional", "tion"), step2Rule("enci", "ence"),
            step2Rule("anci", "ance"), step2Rule("izer", "ize"),
            step2Rule("bli", "ble"), // Porter's departure from the paper's ABLI -> ABLE
            step2Rule("alli", "al"), step2Rule("entli", "ent"), step2Rule("eli", "e"),
            step2Rule("ousli", "ous"), step2Rule("ization", "ize"), step2Rule("ation", "ate"),
            step2Rule("ator", "ate"), step2Rule("alism", "al"), step2Rule("iveness", "ive"),
            step2Rule("fulness", "ful"), step2Rule("ousness", "ous"), step2Rule("aliti", "al"),
            step2Rule("iviti", "ive"), step2Rule("biliti", "ble"),
            step2Rule("fulli", "ful"),
            // the 'l' of logi -> log counts with the stem, so short stems like 'geo' qualify
            new Rule("logi", "log", s -> positiveMeasure(s + "l")));

    private static final List<Rule> STEP3 = List.of(
            new Rule("icate", "ic", PorterStemmer::positiveMeasure),
            new Rule("ative", "", PorterStemmer::positiveMeasure),
            new Rule("alize", "al", PorterStemmer::positiveMeasure),
            new Rule("iciti", "ic", PorterStemmer::positiveMeasure),
            new Rule("ical", "ic", PorterStemmer::positiveMeasure),
            new Rule("ful", "", PorterStemmer::positiveMeasure),
            new Rule("ness", "", PorterStemmer::positiveMeasure));

    private static final List<Rule> STEP4 = List.of(
            step4Rule("al"), step4Rule("ance"), step4Rule("ence"), step4Rule("er"), step4Rule("ic"),
            step4Rule("able"), step4Rule("ible"), step4Rule("ant"), step4Rule("ement"), step4Rule("ment"),
            step4Rule("ent"),
            // (m>1 and (*S or *T)) ION ->
            new Rule("ion", "", s -> measure(s) > 1 && (s.endsWith("s") || s.endsWith("t"))),
            step4Rule("ou"), step4Rule("ism"), step4Rule("ate"), step4Rule("iti"), step4Rule("ous"),
            step4Rule("ive"), step4Rule("ize"));

    /** (m>1 and *d and *L) -> single letter; the measure is of the word less one 'l', i.e. stem + "l". */
    private static final List<Rule> STEP5B = List.of(new Rule("ll", "l", s -> measure(s + "l") > 1));

    /** The stem of {@code word} (lower-cased first, as NLTK's {@code stem(word)} does by default). */
    public String stem(String word) {
        String stem = word.toLowerCase(Locale.ROOT);
        // NLTK 3.8 looks the *original* word up but returns the entry for the lower-cased one (so
        // "Sky" -> "ski"; changed upstream later, nltk#3567). Keys are lower case: a hit means equal.
        String irregular = IRREGULAR.get(word);
        if (irregular != null) return irregular;
        if (word.length() <= 2) return stem;
        stem = step1a(stem);
        stem = step1b(stem);
        stem = step1c(stem);
        stem = step2(stem);
        stem = applyRuleList(stem, STEP3);
        stem = applyRuleList(stem, STEP4);
        stem = step5a(stem);
        return step5b(stem);
    }

    private static String step1a(String word) {
        // NLTK: 'flies' -> 'fli' but 'dies' -> 'die'
        if (word.endsWith("ies") && word.length() == 4) return cut(word, 3) + "ie";
        return applyRuleList(word, STEP1A);
    }

    private static String step1b(String word) {
        // NLTK: 'spied' -> 'spi' but 'died' -> 'die'
        if (word.endsWith("ied")) return cut(word, 3) + (word.length() == 4 ? "ie" : "i");
        if (word.endsWith("eed")) {
            String stem = cut(word, 3);
            return measure(stem) > 0 ? stem + "ee" : word;
        }
        String stem = null;
        for (String suffix : new String[] {"ed", "ing"}) {
            if (word.endsWith(suffix) && containsVowel(cut(word, suffix.length()))) {
                stem = cut(word, suffix.length());
                break;
            }
        }
        if (stem == null) return word;
        char last = stem.charAt(stem.length() - 1);
        return applyRuleList(stem, List.of(
                new Rule("at", "ate", null),
                new Rule("bl", "ble", null),
                new Rule("iz", "ize", null),
                // (*d and not (*L or *S or *Z)) -> single letter
                new Rule(DOUBLE_CONSONANT, String.valueOf(last), s -> last != 'l' && last != 's' && last != 'z'),
                // (m=1 and *o) -> E
                new Rule("", "e", s -> measure(s) == 1 && endsCvc(s))));
    }

    private static String step1c(String word) {
        // NLTK: y -> i only after a consonant that is not the whole stem ('happy' -> 'happi', 'enjoy' stays)
        return applyRuleList(word, STEP1C);
    }

    private static String step2(String word) {
        // NLTK applies ALLI -> AL first and, if it fires, runs step 2 again on the result
        if (word.endsWith("alli") && positiveMeasure(cut(word, 4))) return step2(cut(word, 4) + "al");
        return applyRuleList(word, STEP2);
    }

    private static String step5a(String word) {
        // (m>1) E -> ; (m=1 and not *o) E -> . Both conditions are tried, unlike a rule list.
        if (!word.endsWith("e")) return word;
        String stem = cut(word, 1);
        int m = measure(stem);
        if (m > 1 || (m == 1 && !endsCvc(stem))) return stem;
        return word;
    }

    private static String step5b(String word) {
        return applyRuleList(word, STEP5B);
    }

    /** NLTK's {@code _apply_rule_list}: the first rule whose suffix matches decides the outcome. */
    private static String applyRuleList(String word, List<Rule> rules) {
        for (Rule rule : rules) {
            String stem;
            if (rule.suffix.equals(DOUBLE_CONSONANT)) {
                if (!endsDoubleConsonant(word)) continue;
                stem = cut(word, 2);
            } else if (word.endsWith(rule.suffix)) {
                stem = cut(word, rule.suffix.length());
            } else {
                continue;
            }
            boolean passes = rule.condition == null || rule.condition.test(stem);
            return passes ? stem + rule.replacement : word;
        }
        return word;
    }

    private static Rule step2Rule(String suffix, String replacement) {
        return new Rule(suffix, replacement, PorterStemmer::positiveMeasure);
    }

    private static Rule step4Rule(String suffix) {
        return new Rule(suffix, "", s -> measure(s) > 1);
    }

    private static String cut(String word, int n) {
        return word.substring(0, word.length() - n);
    }

    /** Porter's consonant: not a, e, i, o, u, and not a y that follows a consonant. */
    static boolean isConsonant(String word, int i) {
        char c = word.charAt(i);
        if (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u') return false;
        if (c == 'y') return i == 0 || !isConsonant(word, i - 1);
        return true;
    }

    /** Porter's m in {@code [C](VC){m}[V]}: the number of vowel→consonant transitions. */
    static int measure(String stem) {
        int m = 0;
        for (int i = 1; i < stem.length(); i++) {
            if (!isConsonant(stem, i - 1) && isConsonant(stem, i)) m++;
        }
        return m;
    }

    private static boolean positiveMeasure(String stem) {
        return measure(stem) > 0;
    }

    private static boolean containsVowel(String stem) {
        for (int i = 0; i < stem.length(); i++) {
            if (!isConsonant(stem, i)) return true;
        }
        return false;
    }

    private static boolean endsDoubleConsonant(String word) {
        int n = word.length();
        return n >= 2 && word.charAt(n - 1) == word.charAt(n - 2) && isConsonant(word, n - 1);
    }

    /** Porter's {@code *o}: ends consonant–vowel–consonant, the last not w, x or y; NLTK adds a bare vowel–consonant. */
    private static boolean endsCvc(String word) {
        int n = word.length();
        if (n >= 3 && isConsonant(word, n - 3) && !isConsonant(word, n - 2) && isConsonant(word, n - 1)) {
            char last = word.charAt(n - 1);
            return last != 'w' && last != 'x' && last != 'y';
        }
        return n == 2 && !isConsonant(word, 0) && isConsonant(word, 1);
    }
}

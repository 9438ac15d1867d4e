package dev.emo.evaluation.rouge;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code rouge_score}'s {@code DefaultTokenizer}: lower-case the whole text with full Unicode case
 * mapping, treat every run of characters outside {@code [a-z0-9]} as a separator, and (when
 * stemming) Porter-stem the tokens longer than 3 characters. So accented and non-Latin letters are
 * separators too ({@code café → caf}), exactly as in the Python library. Thread-safe.
 */
public final class RougeTokenizer {
    /** Only tokens longer than this are stemmed (rouge_score's rule; keeps 'was', 'bus' intact). */
    private static final int MAX_UNSTEMMED_LENGTH = 3;

    /** Past this many distinct words the stem cache is emptied, so arbitrary text cannot grow it forever. */
    private static final int STEM_CACHE_LIMIT = 200_000;

    private final PorterStemmer stemmer;
    /** Evaluation text repeats a modest vocabulary; caching makes stemming nearly free. */
    private final Map<String, String> stemCache = new ConcurrentHashMap<>();

    public RougeTokenizer(boolean useStemmer) {
        this.stemmer = useStemmer ? new PorterStemmer() : null;
    }

    /** The tokens of {@code text}, in order. */
    public List<String> tokenize(String text) {
        // Locale.ROOT = Python's str.lower(): 'İ' → "i\u0307" (so 'i' survives), Kelvin sign → 'k';
        // a Turkish default locale would turn 'I' into a dotless ı and lose it.
        String lower = text.toLowerCase(Locale.ROOT);
        List<String> tokens = new ArrayList<>();
        int n = lower.length();
        int i = 0;
        while (i < n) {
            while (i < n && !isTokenChar(lower.charAt(i))) i++;
            int start = i;
            while (i < n && isTokenChar(lower.charAt(i))) i++;
            if (i == start) break;
            String token = lower.substring(start, i);
            if (stemmer != null && token.length() > MAX_UNSTEMMED_LENGTH) token = stem(token);
            // rouge_score keeps only tokens that are still entirely [a-z0-9]+ after stemming
            if (isValidToken(token)) tokens.add(token);
        }
        return tokens;
    }

    /**
     * The "sentences" rougeLsum compares: the raw text split on {@code '\n'} only ({@code '\r'} stays
     * in the line), zero-length lines dropped before tokenising. A line of only punctuation is kept.
     */
    public static List<String> summarySentences(String text) {
        List<String> lines = new ArrayList<>();
        for (String line : text.split("\n", -1)) {
            if (!line.isEmpty()) lines.add(line);
        }
        return lines;
    }

    private String stem(String token) {
        String stem = stemCache.get(token);
        if (stem == null) {
            if (stemCache.size() >= STEM_CACHE_LIMIT) stemCache.clear();
            stem = stemmer.stem(token);
            stemCache.put(token, stem);
        }
        return stem;
    }

    private static boolean isTokenChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }

    private static boolean isValidToken(String token) {
        if (token.isEmpty()) return false;
        for (int i = 0; i < token.length(); i++) {
            if (!isTokenChar(token.charAt(i))) return false;
        }
        return true;
    }
}

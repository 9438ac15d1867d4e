package dev.emo.tokenizers;

import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A regex of a {@code tokenizer.json} (Split, Replace) as java.util.regex runs it with the same
 * matches. HF's tokenizers compile these with Oniguruma (UTF-8, its default syntax), whose escapes
 * mean Unicode classes where Java's mean ASCII ones, so every escape is translated explicitly, and
 * a construct whose Java meaning differs and that we do not translate is refused rather than
 * compiled to something that silently splits differently.
 */
final class OnigRegex {
    private OnigRegex() {}

    /** Onig's Unicode \w: General_Category Letter, Mark, Number, Connector_Punctuation. */
    private static final String WORD = "\\p{L}\\p{M}\\p{N}\\p{Pc}";
    private static final String SPACE = "\\p{IsWhite_Space}", NOT_SPACE = "\\P{IsWhite_Space}";
    private static final Set<String> CATEGORIES = Set.of("L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me",
            "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "S", "Sm", "Sc", "Sk", "So",
            "Z", "Zs", "Zl", "Zp", "C", "Cc", "Cf", "Cs", "Co", "Cn");

    /** A construct we cannot run as Oniguruma does; the message names it. */
    static final class Unsupported extends IllegalArgumentException {
        Unsupported(String what) {
            super(what);
        }
    }

    /**
     * The Java pattern. UNICODE_CASE: Onig's (?i) folds case over all of Unicode (e.g. {@code 'ſ}
     * matches {@code (?i:'s)}), Java's only over ASCII without it.
     *
     * @throws Unsupported where the pattern uses a construct Java cannot reproduce, or does not compile
     */
    static Pattern compile(String onig) {
        String java = translate(onig);
        try {
            return Pattern.compile(java, Pattern.UNICODE_CASE);
        } catch (PatternSyntaxException e) {
            throw new Unsupported("java.util.regex cannot compile it (" + e.getDescription() + " near index " + e.getIndex() + ")");
        }
    }

    /** Literal text (a Split/Replace {"String": ...} pattern). */
    static Pattern literal(String s) {
        return Pattern.compile(Pattern.quote(s));
    }

    static String translate(String p) {
        StringBuilder out = new StringBuilder(p.length() + 32);
        int depth = 0; // char class nesting
        boolean afterInterval = false; // the last thing copied closed a {n,m} quantifier
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            boolean interval = afterInterval;
            afterInterval = false;
            if (c == '\\') {
                if (i + 1 >= p.length()) throw new Unsupported("a trailing backslash");
                i = escape(p, i + 1, depth > 0, out);
            } else if (c == '[') {
                if (depth > 0 && p.startsWith("[:", i))
                    throw new Unsupported("POSIX bracket " + p.substring(i, Math.min(p.length(), i + 10)) + "... (Java reads it as a set of letters)");
                depth++;
                out.append(c);
                if (p.startsWith("^", i + 1)) out.append(p.charAt(++i));
                if (p.startsWith("]", i + 1)) { // a ']' first in a class is literal in Onig
                    out.append("\\]");
                    i++;
                }
            } else if (c == ']' && depth > 0) {
                depth--;
                out.append(c);
            } else if (depth > 0) {
                out.append(c);
            } else if (c == '(' && p.startsWith("?", i + 1)) {
                i = group(p, i, out);
            } else if (c == '^' || c == '$') {
                throw new Unsupported("the anchor " + c + " (a line anchor in Oniguruma)");
            } else if (c == '{' && p.startsWith(",", i + 1)) {
                out.append("{0"); // Onig's {,n} is {0,n}
            } else if (c == '+' && interval) {
                throw new Unsupported("an interval followed by + ({n,m}+: possessive or a repeat, by syntax)");
            } else {
                afterInterval = c == '}';
                out.append(c);
            }
        }
        if (depth > 0) throw new Unsupported("an unclosed character class");
        return out.toString();
    }

    /** Translates the escape whose letter is at {@code i}; returns the index of its last char. */
    private static int escape(String p, int i, boolean inClass, StringBuilder out) {
        char e = p.charAt(i);
        switch (e) {
            case 's' -> out.append(SPACE);
            case 'S' -> out.append(NOT_SPACE);
            case 'd' -> out.append("\\p{Nd}");
            case 'D' -> out.append("\\P{Nd}");
            case 'w' -> out.append(inClass ? WORD : "[" + WORD + "]");
            case 'h' -> out.append(inClass ? "0-9a-fA-F" : "[0-9a-fA-F]"); // Onig \h: hex digit (Java: horizontal space)
            case 'W', 'H' -> {
                if (inClass) throw new Unsupported("\\" + e + " inside a character class");
                out.append(e == 'W' ? "[^" + WORD + "]" : "[^0-9a-fA-F]");
            }
            case 'v' -> out.append("\\x{0B}"); // Onig \v: vertical tab (Java: any vertical space)
            case 'p', 'P' -> {
                return property(p, i, out);
            }
            case 'b' -> {
                if (!inClass) throw new Unsupported("the word boundary \\b (Java's differs from Onig's)");
                out.append("\\x{08}");
            }
            case 'n', 'r', 't', 'f', 'e', 'a', 'x', 'u', 'A', 'z', 'Z', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' ->
                    out.append('\\').append(e);
            default -> {
                if (Character.isLetterOrDigit(e)) throw new Unsupported("the escape \\" + e);
                out.append('\\').append(e); // an escaped symbol is itself in both
            }
        }
        return i;
    }

    /** \p{Name}, \p{^Name}, \P{Name}: general categories and scripts only (Java's POSIX names are ASCII-only). */
    private static int property(String p, int i, StringBuilder out) {
        int close = p.indexOf('}', i);
        if (!p.startsWith("{", i + 1) || close < 0) throw new Unsupported("\\" + p.charAt(i) + " without {name}");
        String name = p.substring(i + 2, close);
        boolean negate = p.charAt(i) == 'P';
        if (name.startsWith("^")) {
            negate = !negate;
            name = name.substring(1);
        }
        String java;
        if (CATEGORIES.contains(name)) {
            java = name;
        } else {
            try {
                Character.UnicodeScript.forName(name);
                java = "sc=" + name;
            } catch (IllegalArgumentException notAScript) {
                throw new Unsupported("the property \\p{" + name + "} (only general categories and scripts are translated)");
            }
        }
        out.append(negate ? "\\P{" : "\\p{").append(java).append('}');
        return close;
    }

    /** "(?" groups: look-around, atomic, non-capturing, named, and the options i and m (Onig's m is Java's s). */
    private static int group(String p, int i, StringBuilder out) {
        int j = i + 2;
        if (j < p.length() && ":=!>".indexOf(p.charAt(j)) >= 0 || p.startsWith("<=", j) || p.startsWith("<!", j)) {
            out.append("(?");
            return i + 1;
        }
        if (p.startsWith("<", j)) { // a named group: Java allows ASCII letters and digits only, else it does not compile
            out.append("(?");
            return i + 1;
        }
        StringBuilder opts = new StringBuilder();
        for (; j < p.length() && p.charAt(j) != ':' && p.charAt(j) != ')'; j++) {
            char o = p.charAt(j);
            if (o == 'i' || o == '-') opts.append(o);
            else if (o == 'm') opts.append('s');
            else throw new Unsupported("the group option " + o + " in " + p.substring(i, Math.min(p.length(), j + 2)));
        }
        if (j >= p.length()) throw new Unsupported("an unclosed group");
        out.append("(?").append(opts);
        return j - 1;
    }
}

package dev.emo.chat;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;
import jinjava.javax.el.ELResolver;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Python methods chat templates call on strings and dicts ({@code content.strip()},
 * {@code .split('</think>')}, {@code .startswith(...)}, {@code message.get('x')}, {@code tools.items()}),
 * which Jinjava would otherwise look up as Java methods. Their meaning is that of @huggingface/jinja
 * (transformers.js), the renderer our reference renderings come from: notably {@code strip},
 * {@code lstrip} and {@code rstrip} strip whitespace and ignore a characters argument (Qwen3's
 * {@code content.lstrip('\n')} drops leading spaces too), where Python would strip only those characters.
 */
final class PyMethods extends ELResolver {
    private static final Set<String> STRING = Set.of("strip", "lstrip", "rstrip", "split", "startswith", "endswith", "upper", "lower",
            "title", "capitalize", "replace");
    private static final Set<String> DICT = Set.of("items", "keys", "values", "get");

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        String name = String.valueOf(method);
        Object[] args = params == null ? new Object[0] : params;
        if (base instanceof String s && STRING.contains(name)) {
            context.setPropertyResolved(true);
            return string(s, name, args);
        }
        if (base instanceof Map<?, ?> m && DICT.contains(name)) {
            context.setPropertyResolved(true);
            return switch (name) {
                case "items" -> m.entrySet().stream().map(e -> List.of(e.getKey(), e.getValue())).toList();
                case "keys" -> new ArrayList<>(m.keySet());
                case "values" -> new ArrayList<>(m.values());
                default -> m.containsKey(args[0]) ? m.get(args[0]) : args.length > 1 ? args[1] : null;
            };
        }
        return null;
    }

    private static Object string(String s, String name, Object[] args) {
        return switch (name) {
            case "strip" -> trimEnd(trimStart(s));
            case "lstrip" -> trimStart(s);
            case "rstrip" -> trimEnd(s);
            case "upper" -> s.toUpperCase(java.util.Locale.ROOT);
            case "lower" -> s.toLowerCase(java.util.Locale.ROOT);
            case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(java.util.Locale.ROOT) + s.substring(1);
            case "title" -> title(s);
            case "startswith", "endswith" -> affix(s, name.equals("startswith"), need(args, 1, name)[0]);
            case "replace" -> replace(s, need(args, 2, name));
            default -> split(s, args.length > 0 ? args[0] : null, args.length > 1 ? ((Number) args[1]).intValue() : -1);
        };
    }

    private static Object[] need(Object[] args, int n, String name) {
        if (args.length < n) throw new ELException(name + "() takes " + n + " argument" + (n > 1 ? "s" : ""));
        return args;
    }

    private static boolean affix(String s, boolean start, Object pattern) {
        if (pattern instanceof String p) return start ? s.startsWith(p) : s.endsWith(p);
        if (pattern instanceof Collection<?> options) {
            for (Object o : options) if (affix(s, start, o)) return true;
            return false;
        }
        throw new ELException((start ? "startswith" : "endswith") + "() takes a string or a tuple of strings");
    }

    private static String replace(String s, Object[] args) {
        int count = args.length > 2 && args[2] instanceof Number n ? n.intValue() : -1;
        String old = String.valueOf(args[0]), with = String.valueOf(args[1]);
        if (count < 0) return s.replace(old, with);
        StringBuilder out = new StringBuilder();
        int from = 0;
        for (int done = 0; done < count; done++) {
            int at = s.indexOf(old, from);
            if (at < 0) break;
            out.append(s, from, at).append(with);
            from = at + old.length();
            if (old.isEmpty()) {     // an empty pattern matches between characters
                if (from >= s.length()) break;
                out.append(s.charAt(from++));
            }
        }
        return out.append(s.substring(from)).toString();
    }

    /** Python's str.split(sep=None, maxsplit=-1). */
    private static List<String> split(String s, Object sep, int maxSplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            String rest = trimStart(s);
            while (!rest.isEmpty()) {
                int end = 0;
                while (end < rest.length() && !isSpace(rest.charAt(end))) end++;
                if (maxSplit >= 0 && out.size() >= maxSplit) {
                    out.add(rest);
                    break;
                }
                out.add(rest.substring(0, end));
                rest = trimStart(rest.substring(end));
            }
            return out;
        }
        String sp = sep.toString();
        if (sp.isEmpty()) throw new ELException("split(): empty separator");
        int from = 0, at;
        while ((maxSplit < 0 || out.size() < maxSplit) && (at = s.indexOf(sp, from)) >= 0) {
            out.add(s.substring(from, at));
            from = at + sp.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean wordStart = true;
        for (char c : s.toCharArray()) {
            boolean word = Character.isLetterOrDigit(c) || c == '_';
            out.append(word && wordStart ? Character.toUpperCase(c) : c);
            wordStart = !word;
        }
        return out.toString();
    }

    /** JavaScript's whitespace (what trim() strips): Java's String.strip leaves out no-break spaces and the BOM. */
    static boolean isSpace(char c) {
        return (c >= '\t' && c <= '\r') || Character.isSpaceChar(c) || c == '\uFEFF';
    }

    static String trimStart(String s) {
        int i = 0;
        while (i < s.length() && isSpace(s.charAt(i))) i++;
        return s.substring(i);
    }

    static String trimEnd(String s) {
        int i = s.length();
        while (i > 0 && isSpace(s.charAt(i - 1))) i--;
        return s.substring(0, i);
    }

    // property access is left to Jinjava's own resolvers
    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return false;
    }

    @Override
    public Iterator<java.beans.FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}

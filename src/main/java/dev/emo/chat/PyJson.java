package dev.emo.chat;

import com.fasterxml.jackson.core.io.JsonStringEncoder;

import java.util.Map;

/**
 * Python's {@code json.dumps(value, ensure_ascii=False, indent=indent)}, which transformers' {@code tojson}
 * calls: items separated by ", " (by "," and a new line when indented), keys by ": ". Tool schemas in
 * templates are rendered with it, so the separators are part of what the model was trained on.
 */
final class PyJson {
    private PyJson() {}

    /** @param indent spaces per level, or negative for one line */
    static String dumps(Object value, int indent) {
        StringBuilder out = new StringBuilder();
        write(out, value, indent, 0);
        return out.toString();
    }

    private static void write(StringBuilder out, Object v, int indent, int depth) {
        if (v == null) out.append("null");
        else if (v instanceof Boolean || v instanceof Number) out.append(v);
        else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                out.append("{}");
                return;
            }
            out.append('{');
            boolean first = true;
            for (var e : m.entrySet()) {
                separate(out, first, indent, depth + 1);
                first = false;
                quote(out, String.valueOf(e.getKey()));
                out.append(": ");
                write(out, e.getValue(), indent, depth + 1);
            }
            close(out, indent, depth);
            out.append('}');
        } else if (v instanceof Iterable<?> items) {
            if (!items.iterator().hasNext()) {
                out.append("[]");
                return;
            }
            out.append('[');
            boolean first = true;
            for (Object item : items) {
                separate(out, first, indent, depth + 1);
                first = false;
                write(out, item, indent, depth + 1);
            }
            close(out, indent, depth);
            out.append(']');
        } else quote(out, v.toString());
    }

    private static void separate(StringBuilder out, boolean first, int indent, int depth) {
        if (!first) out.append(indent >= 0 ? "," : ", ");
        if (indent >= 0) out.append('\n').append(" ".repeat(indent * depth));
    }

    private static void close(StringBuilder out, int indent, int depth) {
        if (indent >= 0) out.append('\n').append(" ".repeat(indent * depth));
    }

    private static void quote(StringBuilder out, String s) {
        out.append('"').append(JsonStringEncoder.getInstance().quoteAsString(s)).append('"');
    }
}

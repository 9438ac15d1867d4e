package dev.emo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.UserError;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * {@code --config FILE}: flags from a .properties or .json file (HF names without the dashes, e.g.
 * {@code learning_rate=1e-4}, or {@code {"learning_rate": 1e-4, "line_by_line": true}}), placed
 * before the command line's own, so the command line wins.
 */
final class ConfigFile {
    private ConfigFile() {}

    /** The arguments with any {@code --config FILE} expanded in place of itself. */
    static String[] expand(String[] args) {
        List<String> out = new ArrayList<>();
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                out.addAll(read(Path.of(args[++i])));
            } else if (args[i].startsWith("--config=")) {
                out.addAll(read(Path.of(args[i].substring("--config=".length()))));
            } else {
                rest.add(args[i]);
            }
        }
        if (out.isEmpty()) return args;
        // the subcommand name stays first; file flags next; command-line flags last (they win)
        List<String> merged = new ArrayList<>();
        int cmd = rest.isEmpty() || rest.get(0).startsWith("-") ? 0 : 1;
        merged.addAll(rest.subList(0, cmd));
        merged.addAll(out);
        merged.addAll(rest.subList(cmd, rest.size()));
        return dedupe(merged).toArray(String[]::new);
    }

    private static List<String> read(Path file) {
        if (!Files.isRegularFile(file)) throw UserError.of(file, "config file not found", "pass an existing .properties or .json file to --config");
        List<String> args = new ArrayList<>();
        try {
            if (file.toString().endsWith(".json")) {
                JsonNode j = new ObjectMapper().readTree(file.toFile());
                if (!j.isObject()) throw UserError.of(file, "is not a JSON object", "write {\"learning_rate\": 1e-4, ...}");
                j.fields().forEachRemaining(e -> add(args, e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
            } else {
                Properties p = new Properties();
                try (Reader r = Files.newBufferedReader(file)) {
                    p.load(r);
                }
                for (String k : p.stringPropertyNames()) add(args, k, p.getProperty(k).trim());
            }
        } catch (IOException e) {
            throw UserError.of(file, "cannot be parsed (" + e.getMessage().lines().findFirst().orElse("") + ")", "fix the file's syntax");
        }
        return args;
    }

    private static void add(List<String> args, String key, String value) {
        String flag = key.startsWith("--") ? key : "--" + key;
        if (value.equals("true")) args.add(flag);          // boolean flags
        else if (!value.equals("false")) {
            args.add(flag);
            args.add(value);
        }
    }

    /** Keeps the last occurrence of each --flag (with its value), so the command line overrides the file. */
    private static List<String> dedupe(List<String> args) {
        List<List<String>> groups = new ArrayList<>();
        for (String a : args) {
            if (a.startsWith("--") || groups.isEmpty()) groups.add(new ArrayList<>(List.of(a)));
            else groups.get(groups.size() - 1).add(a);
        }
        List<List<String>> kept = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            String head = groups.get(i).get(0);
            boolean later = false;
            for (int k = i + 1; k < groups.size() && head.startsWith("--"); k++) later |= groups.get(k).get(0).equals(head);
            if (!later) kept.add(groups.get(i));
        }
        List<String> out = new ArrayList<>();
        kept.forEach(out::addAll);
        return out;
    }
}

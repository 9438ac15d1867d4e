package dev.emo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.UserError;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * {@code --config FILE}: flags from a .properties or .json file (HF names without the dashes, e.g.
 * {@code learning_rate=1e-4}, or {@code {"learning_rate": 1e-4, "line_by_line": true}}), placed
 * before the command line's own, so the command line wins.
 *
 * <p>Each value is read by the type of the option it sets (the subcommand's, or finetune's for the
 * options compare and oracle pass on), so {@code "merge_lora": false} sets false rather than being
 * dropped, and a key that is no option or a value of the wrong type is an error naming the file.
 * YAML is refused by name rather than misread as .properties; a file with no settings adds none.
 */
final class ConfigFile {
    private ConfigFile() {}

    /** The arguments with any {@code --config FILE} expanded (for tests: against the application's commands). */
    static String[] expand(String[] args) {
        return expand(args, new CommandLine(new Main()));
    }

    /** The arguments with any {@code --config FILE} expanded in place of itself, typed by {@code cli}'s options. */
    static String[] expand(String[] args, CommandLine cli) {
        List<String> out = new ArrayList<>();
        List<String> rest = new ArrayList<>();
        boolean any = false;
        String command = args.length > 0 && !args[0].startsWith("-") ? args[0] : null;
        for (int i = 0; i < args.length; i++) {
            String file = args[i].equals("--config") && i + 1 < args.length ? args[++i]
                    : args[i].startsWith("--config=") ? args[i].substring("--config=".length()) : null;
            if (file == null) {
                rest.add(args[i]);
                continue;
            }
            any = true;
            out.addAll(read(Path.of(file), specs(cli, command)));
        }
        if (!any) return args;
        // the subcommand name stays first; file flags next; command-line flags last (they win)
        List<String> merged = new ArrayList<>();
        int cmd = rest.isEmpty() || rest.get(0).startsWith("-") ? 0 : 1;
        merged.addAll(rest.subList(0, cmd));
        merged.addAll(out);
        merged.addAll(rest.subList(cmd, rest.size()));
        return dedupe(merged).toArray(String[]::new);
    }

    /** The subcommand's options, then finetune's for the commands that pass unknown options on to it. */
    private static List<CommandSpec> specs(CommandLine cli, String command) {
        CommandLine sub = command == null ? null : cli.getSubcommands().get(command);
        if (sub == null) throw UserError.of("--config", "needs a subcommand before it", "write ./run.sh finetune --config FILE");
        List<CommandSpec> specs = new ArrayList<>(List.of(sub.getCommandSpec()));
        if (!sub.getCommandSpec().unmatchedArgsBindings().isEmpty()) specs.add(cli.getSubcommands().get("finetune").getCommandSpec());
        return specs;
    }

    private static List<String> read(Path file, List<CommandSpec> specs) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (name.endsWith(".yaml") || name.endsWith(".yml")) {
            throw UserError.of(file, "YAML config files are not read", "write the same settings as .json or .properties (key=value lines)");
        }
        if (!Files.isRegularFile(file)) throw UserError.of(file, "config file not found", "pass an existing .properties or .json file to --config");
        List<String> args = new ArrayList<>();
        try {
            if (name.endsWith(".json")) {
                String text = Files.readString(file);
                if (text.isBlank()) return args;
                JsonNode j = new ObjectMapper().readTree(text);
                if (!j.isObject()) throw UserError.of(file, "is not a JSON object", "write {\"learning_rate\": 1e-4, ...}");
                for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) j::fields) {
                    add(args, file, specs, e.getKey(), e.getValue());
                }
            } else {
                Properties p = new Properties();
                try (Reader r = Files.newBufferedReader(file)) {
                    p.load(r);
                }
                for (String k : new java.util.TreeSet<>(p.stringPropertyNames())) add(args, file, specs, k, p.getProperty(k).trim());
            }
        } catch (IOException e) {
            throw UserError.of(file, "cannot be parsed (" + e.getMessage().lines().findFirst().orElse("") + ")", "fix the file's syntax");
        }
        return args;
    }

    /** One setting as flags, by its option's type: JSON values must have that type; .properties text must parse as it. */
    private static void add(List<String> args, Path file, List<CommandSpec> specs, String key, Object value) {
        String flag = key.startsWith("--") ? key : "--" + key;
        OptionSpec option = specs.stream().map(s -> s.findOption(flag)).filter(java.util.Objects::nonNull).findFirst().orElse(null);
        if (option == null || flag.equals("--config")) {
            throw UserError.of(file, "'" + key + "' is not an option of " + specs.get(0).name(), "see ./run.sh " + specs.get(0).name() + " --help for the names");
        }
        Class<?> type = option.type();
        boolean flagOnly = (type == boolean.class || type == Boolean.class) && option.arity().max() == 0;
        String text = text(file, key, value, type, option.isMultiValue());
        if (flagOnly) {
            if (text.equals("true")) args.add(flag);      // false: the flag's default, so nothing to pass
        } else {
            args.add(flag);
            args.add(text);
        }
    }

    /** The value as command-line text, checked against the option's type here so that the error names the file. */
    private static String text(Path file, String key, Object value, Class<?> type, boolean list) {
        JsonNode j = value instanceof JsonNode n ? n : null;
        if (j != null && list && j.isArray()) {
            List<String> parts = new ArrayList<>();
            j.forEach(x -> parts.add(x.isTextual() ? x.asText() : x.toString()));
            return String.join(",", parts);
        }
        if (j != null && (j.isObject() || j.isArray() || j.isNull())) throw wrongType(file, key, j.toString(), type);
        String s = j == null ? (String) value : j.isTextual() ? j.asText() : j.toString();
        boolean ok;
        if (type == boolean.class || type == Boolean.class) {
            ok = (j == null || j.isBoolean() || j.isTextual()) && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"));
            s = s.toLowerCase(java.util.Locale.ROOT);
        } else if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            ok = (j == null || j.isIntegralNumber() || j.isTextual()) && s.matches("-?\\d+")
                    && (type == long.class || type == Long.class || fitsInt(s));
        } else if (type == double.class || type == Double.class) {
            ok = (j == null || j.isNumber() || j.isTextual()) && isDouble(s);
        } else {
            ok = j == null || j.isValueNode();
        }
        if (!ok) throw wrongType(file, key, s, type);
        return s;
    }

    private static UserError wrongType(Path file, String key, String value, Class<?> type) {
        String want = type == boolean.class || type == Boolean.class ? "true or false"
                : type == int.class || type == Integer.class || type == long.class || type == Long.class ? "a whole number"
                : type == double.class || type == Double.class ? "a number" : "text";
        return UserError.of(file, key + " is " + value + ", not " + want, "write " + key + " as " + want);
    }

    private static boolean fitsInt(String s) {
        return parses(s, Integer::parseInt);
    }

    private static boolean isDouble(String s) {
        return parses(s, Double::parseDouble);
    }

    private static boolean parses(String s, java.util.function.Consumer<String> parser) {
        try {
            parser.accept(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
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

package dev.emo.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.UserError;
import dev.emo.chat.ChatTemplate;
import dev.emo.tokenizers.Tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Instruction data as TRL's SFTTrainer takes it, one JSON object a line, one format a file:
 * {@code {"prompt", "completion"}} (the loss on the completion, and its end-of-turn token, only;
 * on both with completionOnlyLoss false), {@code {"messages": [...]}} (rendered with the model's chat
 * template; the loss on the assistant turns only, see {@link ChatSpans}) and {@code {"text"}} (the loss
 * on every token, as plain-text training has it). Each example is its {@code input_ids} and {@code labels}
 * (the id where trained, -100 where not). Anything else is one line naming the file, the line and the fix.
 */
public final class InstructionData {
    public static final int IGNORE = -100;
    private static final ObjectMapper JSON = new ObjectMapper();

    public enum Format {
        PROMPT_COMPLETION("{\"prompt\", \"completion\"}"), MESSAGES("{\"messages\"}"), TEXT("{\"text\"}");

        final String shape;

        Format(String shape) {
            this.shape = shape;
        }
    }

    /** One example: the ids the model sees and their labels, and the line of the file it came from. */
    public record Example(int line, int[] inputIds, int[] labels) {}

    /**
     * @param modelDir     the model folder (its tokenizer_config.json: eos_token, chat_template)
     * @param chatTemplate a Jinja file to use instead of the folder's chat_template, or null
     */
    public record Settings(Path modelDir, Path chatTemplate, boolean completionOnlyLoss) {}

    private InstructionData() {}

    /**
     * Whether a training file is instruction data: JSONL any of whose lines has a messages, prompt or completion
     * field. A file of {"text"} lines alone is plain text, which finetune groups into blocks as run_clm does.
     * A file that cannot be read says no: the plain-text reader then reports why.
     */
    public static boolean isInstructionFile(Path file) {
        if (TextFiles.detect(file) != TextFiles.Format.JSONL || !Files.isRegularFile(file)) return false;
        try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
            return lines.filter(l -> l.contains("\"messages\"") || l.contains("\"prompt\"") || l.contains("\"completion\"")).anyMatch(l -> {
                try {
                    JsonNode row = JSON.readTree(l);
                    return row != null && row.isObject() && formatOf(row, "") != Format.TEXT;
                } catch (IOException | UserError e) {
                    return false;
                }
            });
        } catch (IOException | java.io.UncheckedIOException e) {
            return false;
        }
    }

    public static List<Example> read(Path file, Tokenizer tok, Settings settings) {
        if (!Files.isRegularFile(file)) throw UserError.of(file, "not found", "pass an existing JSONL file to --file");
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw UserError.of(file, "cannot be read (" + e.getMessage() + ")", "check the file's encoding (UTF-8) and permissions");
        }
        EndOfTurn eot = EndOfTurn.of(settings.modelDir(), tok);
        ChatSpans chat = null;
        Format format = null;
        int firstLine = 0;
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            String where = file + ":" + (i + 1);
            JsonNode row = parse(lines.get(i), where);
            Format f = formatOf(row, where);
            if (format == null) {
                format = f;
                firstLine = i + 1;
            } else if (f != format) {
                throw UserError.of(where, "a " + f.shape + " line in a file whose line " + firstLine + " is " + format.shape,
                        "keep one format per file (split the file)");
            }
            if (f == Format.MESSAGES && chat == null) chat = new ChatSpans(ChatTemplate.of(settings.modelDir(), settings.chatTemplate()), tok, eot);
            out.add(switch (f) {
                case TEXT -> text(row, tok, where, i + 1);
                case PROMPT_COMPLETION -> promptCompletion(row, tok, eot, settings.completionOnlyLoss(), where, i + 1);
                case MESSAGES -> chat.example(messages(row, where), where, i + 1);
            });
        }
        if (out.isEmpty()) throw UserError.of(file, "holds no example", "one JSON object a line: {\"prompt\", \"completion\"}, {\"messages\"} or {\"text\"}");
        return out;
    }

    private static JsonNode parse(String line, String where) {
        try {
            JsonNode row = JSON.readTree(line);
            if (row != null && row.isObject()) return row;
        } catch (IOException e) {
            throw UserError.of(where, "is not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")", "write one JSON object per line");
        }
        throw UserError.of(where, "is not a JSON object", "write one JSON object per line");
    }

    private static Format formatOf(JsonNode row, String where) {
        if (row.has("messages")) return Format.MESSAGES;
        if (row.has("prompt") || row.has("completion")) return Format.PROMPT_COMPLETION;
        if (row.has("text")) return Format.TEXT;
        throw UserError.of(where, "has none of the fields messages, prompt/completion, text (has " + fieldNames(row) + ")",
                "write {\"prompt\": …, \"completion\": …}, {\"messages\": [{\"role\": …, \"content\": …}, …]} or {\"text\": …}");
    }

    private static String fieldNames(JsonNode row) {
        List<String> names = new ArrayList<>();
        row.fieldNames().forEachRemaining(names::add);
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    private static String string(JsonNode row, String field, String where, boolean nonEmpty) {
        JsonNode v = row.get(field);
        if (v == null || !v.isTextual()) throw UserError.of(where, "\"" + field + "\" is " + (v == null ? "missing" : "not a string"), "give \"" + field + "\" as a string");
        if (nonEmpty && v.asText().isEmpty()) throw UserError.of(where, "\"" + field + "\" is empty", "give every example a non-empty " + field + ", or drop the line");
        return v.asText();
    }

    private static Example text(JsonNode row, Tokenizer tok, String where, int line) {
        int[] ids = tok.encode(string(row, "text", where, true));
        return new Example(line, ids, ids.clone());
    }

    /** TRL's tokenization: prompt + completion + eos_token as one text, the prompt's own tokens masked. */
    private static Example promptCompletion(JsonNode row, Tokenizer tok, EndOfTurn eot, boolean completionOnly, String where, int line) {
        String prompt = string(row, "prompt", where, false), completion = string(row, "completion", where, true);
        int[] ids = eot.appendedTo(tok.encode(prompt + completion), completion);
        int[] labels = ids.clone();
        if (completionOnly) Arrays.fill(labels, 0, ChatSpans.firstAfter(tok.encode(prompt), ids), IGNORE);
        return new Example(line, ids, labels);
    }

    private static final Set<String> ROLES = Set.of("system", "user", "assistant");

    /** The conversation as the template takes it; roles checked, the last turn the assistant's (it is what is trained). */
    private static List<Map<String, Object>> messages(JsonNode row, String where) {
        JsonNode m = row.get("messages");
        if (!m.isArray() || m.isEmpty()) throw UserError.of(where, "\"messages\" is not a non-empty list", "give a list of {\"role\", \"content\"}");
        List<Map<String, Object>> out = new ArrayList<>();
        for (int k = 0; k < m.size(); k++) {
            JsonNode msg = m.get(k);
            String role = msg.path("role").asText("");
            if (!ROLES.contains(role)) {
                throw UserError.of(where, "messages[" + k + "] has role '" + (msg.has("role") ? msg.get("role").asText() : "") + "'",
                        "use system, user or assistant");
            }
            if (!msg.path("content").isTextual()) throw UserError.of(where, "messages[" + k + "] has no string content", "give each message a \"content\" string");
            out.add(JSON.convertValue(msg, new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {}));
        }
        String last = (String) out.get(out.size() - 1).get("role");
        if (!last.equals("assistant")) {
            throw UserError.of(where, "the last message is the " + last + "'s, so there is no answer to train on",
                    "end each training conversation with an assistant message");
        }
        return out;
    }
}

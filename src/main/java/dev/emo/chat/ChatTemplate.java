package dev.emo.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import dev.emo.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's chat template (Jinja, from tokenizer_config.json's {@code chat_template} or a file),
 * rendered as Hugging Face's {@code apply_chat_template(tokenize=False)} renders it: the messages,
 * {@code add_generation_prompt}, and tokenizer_config.json's special tokens ({@code bos_token},
 * {@code eos_token}, …) as variables. A template the engine cannot render, or one that calls
 * {@code raise_exception}, is a {@link RenderError}: one line naming the construct or the template's message.
 */
public final class ChatTemplate {
    private static final HfJinja ENGINE = new HfJinja();

    private final Path source;
    private final String template;
    private final Map<String, String> specialTokens;
    private final Clock clock;

    private ChatTemplate(Path source, String template, Map<String, String> specialTokens, Clock clock) {
        this.source = source;
        // Jinja's keep_trailing_newline is off in transformers: a template's last newline is not output
        this.template = HfJinja.withoutGenerationTags(template.endsWith("\n") ? template.substring(0, template.length() - 1) : template);
        this.specialTokens = specialTokens;
        this.clock = clock;
    }

    /** A template that cannot be rendered or refuses the input: {@code problem} and {@code fix}, as UserError.of puts them. */
    public static final class RenderError extends UserError {
        public final String problem, fix;

        RenderError(Path source, String problem, String fix) {
            super(source + ": " + problem + "; " + fix);
            this.problem = problem;
            this.fix = fix;
        }
    }

    /**
     * The template of a model folder: {@code templateFile} if given (a Jinja file), else tokenizer_config.json's
     * {@code chat_template} (a string, or a list of {@code {name, template}} of which "default" is taken).
     * The special tokens come from the folder's tokenizer_config.json either way.
     */
    public static ChatTemplate of(Path modelDir, Path templateFile) {
        Path configFile = modelDir.resolve("tokenizer_config.json");
        JsonNode config = Files.isRegularFile(configFile) ? read(configFile) : null;
        Map<String, String> tokens = specialTokens(config);
        if (templateFile != null) {
            if (!Files.isRegularFile(templateFile)) throw UserError.of(templateFile, "not found", "pass an existing Jinja file to --chat_template");
            try {
                return new ChatTemplate(templateFile, Files.readString(templateFile), tokens, Clock.systemDefaultZone());
            } catch (IOException e) {
                throw UserError.of(templateFile, "cannot be read (" + e.getMessage() + ")", "check the file (UTF-8 text)");
            }
        }
        if (config == null) throw UserError.of(configFile, "missing, so the model has no chat template", "pass --chat_template FILE");
        return new ChatTemplate(configFile, templateText(configFile, config.path("chat_template")), tokens, Clock.systemDefaultZone());
    }

    /** tokenizer_config.json's special tokens by name (bos_token, eos_token, …); empty where the folder has no such file. */
    public static Map<String, String> specialTokens(Path modelDir) {
        Path configFile = modelDir.resolve("tokenizer_config.json");
        return specialTokens(Files.isRegularFile(configFile) ? read(configFile) : null);
    }

    private static Map<String, String> specialTokens(JsonNode config) {
        Map<String, String> tokens = new LinkedHashMap<>();
        if (config != null) {
            config.fields().forEachRemaining(e -> {
                JsonNode v = e.getValue().isObject() ? e.getValue().path("content") : e.getValue();  // AddedToken dicts hold "content"
                if (e.getKey().endsWith("_token") && v.isTextual()) tokens.put(e.getKey(), v.asText());
            });
        }
        return tokens;
    }

    private static String templateText(Path file, JsonNode t) {
        if (t.isTextual()) return t.asText();
        if (t.isArray()) {
            for (JsonNode named : t) if ("default".equals(named.path("name").asText())) return named.path("template").asText();
            throw UserError.of(file, "chat_template lists no template named \"default\"", "pass --chat_template FILE with the one to use");
        }
        throw UserError.of(file, "has no chat_template", "pass --chat_template FILE (a Jinja chat template)");
    }

    private static JsonNode read(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw UserError.of(file, "is not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")", "restore it from the model repo");
        }
    }

    /** The same template with {@code strftime_now} reading this clock (a template's "today", e.g. Llama 3.1's). */
    public ChatTemplate withClock(Clock clock) {
        return new ChatTemplate(source, template, specialTokens, clock);
    }

    /** Where the template came from (tokenizer_config.json or the --chat_template file). */
    public Path source() {
        return source;
    }

    /** The conversation rendered, with the generation prompt (the assistant's header) at the end if asked for. */
    public String render(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt) {
        Map<String, Object> vars = new HashMap<>();
        vars.put("messages", messages);
        vars.put("add_generation_prompt", addGenerationPrompt);
        return render(vars);
    }

    /** Any variables (messages, add_generation_prompt, tools, date_string …) over the special tokens. */
    public String render(Map<String, ?> variables) {
        Map<String, Object> context = new HashMap<>(specialTokens);
        context.putAll(variables);
        context.put(HfJinja.CLOCK, clock);
        RenderResult result = ENGINE.renderForResult(template, context);
        for (TemplateError e : result.getErrors()) {
            if (e.getSeverity() != TemplateError.ErrorType.FATAL) continue;
            HfJinja.Raised raised = raisedIn(e.getException());
            if (raised != null) throw new RenderError(source, "the chat template refuses the conversation: " + oneLine(raised.getMessage()),
                    "change the conversation to what the template accepts");
            // no line number: Jinjava counts lines after trim_blocks has joined some, so it would point elsewhere
            throw new RenderError(source, "the chat template cannot be rendered: " + oneLine(e.getMessage())
                    + (e.getFieldName() == null || e.getFieldName().isBlank() ? "" : " (in " + oneLine(e.getFieldName()) + ")"),
                    "pass --chat_template FILE with a template that avoids that construct");
        }
        return result.getOutput();
    }

    private static HfJinja.Raised raisedIn(Throwable t) {
        for (; t != null; t = t.getCause()) if (t instanceof HfJinja.Raised r) return r;
        return null;
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}

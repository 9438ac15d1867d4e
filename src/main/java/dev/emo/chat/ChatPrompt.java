package dev.emo.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.UserError;
import dev.emo.tokenizers.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A chat model prompted as transformers' chat pipeline prompts it: the text is one user message, rendered
 * with the chat template and the generation prompt (the assistant's header), tokenized without adding
 * special tokens (the template writes them); the answer ends at any of the model's end-of-turn ids.
 */
public final class ChatPrompt {
    private ChatPrompt() {}

    /** @param templateFile a Jinja file instead of tokenizer_config.json's chat_template, or null */
    public static int[] ids(Path modelDir, Path templateFile, Tokenizer tok, String userMessage) {
        String text = ChatTemplate.of(modelDir, templateFile).render(List.of(Map.of("role", "user", "content", userMessage)), true);
        return tok.encode(text, false);
    }

    /**
     * The ids generation stops at: eos_token_id of config.json and of generation_config.json (each an int or a
     * list; Llama 3.1 lists 128001, 128008, 128009 there) and tokenizer_config.json's eos_token (the token chat
     * templates end a turn with: {@code <|eot_id|>}, {@code <|im_end|>}); the tokenizer's eos where none is named.
     */
    public static int[] endOfTurnIds(Path modelDir, Tokenizer tok) {
        Set<Integer> ids = new LinkedHashSet<>();
        for (String name : new String[]{"config.json", "generation_config.json"}) {
            Path file = modelDir.resolve(name);
            if (!Files.isRegularFile(file)) continue;
            JsonNode eos = read(file).path("eos_token_id");
            for (JsonNode id : eos.isArray() ? eos : List.of(eos)) {
                if (id.canConvertToInt()) ids.add(id.asInt());
                else if (!id.isNull() && !id.isMissingNode()) throw UserError.of(file, "eos_token_id holds " + id + ", not token ids", "give an id or a list of ids");
            }
        }
        String eosToken = ChatTemplate.specialTokens(modelDir).get("eos_token");
        if (eosToken != null) {
            int[] one = tok.encode(eosToken, false);
            if (one.length == 1) ids.add(one[0]);
        }
        if (ids.isEmpty() && tok.eosId() >= 0) ids.add(tok.eosId());
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private static JsonNode read(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw UserError.of(file, "is not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")", "restore it from the model repo");
        }
    }
}

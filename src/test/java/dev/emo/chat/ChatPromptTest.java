package dev.emo.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.Fixtures;
import dev.emo.registry.ModelFamilies;
import dev.emo.tokenizers.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** generate --chat's prompt ids and stop set on the Llama 3 and Qwen3 fixtures. */
class ChatPromptTest {
    @TempDir
    Path tmp;

    @Test
    void aUserMessageIsTheTemplatesRenderingWithTheGenerationPrompt() throws IOException {
        for (String name : new String[]{"tiny-llama3", "tiny-qwen3"}) {
            Path model = Fixtures.model(name);
            JsonNode first = new ObjectMapper().readTree(model.resolve("reference/chat.json").toFile()).get(0);   // one user message, add_generation_prompt
            int[] want = new ObjectMapper().convertValue(first.get("ids"), int[].class);
            String message = first.get("messages").get(0).get("content").asText();
            assertArrayEquals(want, ChatPrompt.ids(model, null, ModelFamilies.tokenizer(model), message), name);
        }
    }

    @Test
    void endOfTurnIdsJoinConfigGenerationConfigAndTheTokenizersEosToken() throws IOException {
        Path llama = Fixtures.model("tiny-llama3");
        Tokenizer tok = ModelFamilies.tokenizer(llama);
        // config.json's eos_token_id <|end_of_text|>, tokenizer_config.json's eos_token <|eot_id|>
        assertArrayEquals(new int[]{128001, 128009}, ChatPrompt.endOfTurnIds(llama, tok));
        Path withList = Fixtures.withConfig("tiny-llama3", tmp.resolve("llama31"), c -> c.putArray("eos_token_id").add(128001).add(128009));
        Files.writeString(withList.resolve("generation_config.json"), "{\"bos_token_id\": 128000, \"eos_token_id\": [128001, 128008, 128009]}");
        assertArrayEquals(new int[]{128001, 128009, 128008}, ChatPrompt.endOfTurnIds(withList, tok), "lists in both files, as Llama 3.1 ships them");
        Path qwen = Fixtures.model("tiny-qwen3");
        assertArrayEquals(new int[]{151645}, ChatPrompt.endOfTurnIds(qwen, ModelFamilies.tokenizer(qwen)), "<|im_end|> in both files");
    }
}

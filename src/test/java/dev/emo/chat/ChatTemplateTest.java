package dev.emo.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.Fixtures;
import dev.emo.registry.ModelFamilies;
import dev.emo.tokenizers.Tokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The model's own template, rendered and tokenized, equals reference/chat.json (@huggingface/jinja 0.5.11) case by case. */
class ChatTemplateTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama3", "tiny-qwen3"})
    void renderingAndIdsEqualTheReference(String name) throws Exception {
        Path dir = Fixtures.model(name);
        Path reference = dir.resolve("reference/chat.json");
        assumeTrue(Files.isRegularFile(reference), "missing " + reference);
        ChatTemplate template = ChatTemplate.of(dir, null);
        Tokenizer tok = ModelFamilies.tokenizer(dir);
        JsonNode cases = JSON.readTree(reference.toFile());
        assertEquals(6, cases.size(), "cases in " + reference);
        for (JsonNode c : cases) {
            List<Map<String, Object>> messages = JSON.convertValue(c.get("messages"), new com.fasterxml.jackson.core.type.TypeReference<>() {});
            String text = template.render(messages, c.get("add_generation_prompt").asBoolean());
            assertEquals(c.get("text").asText(), text, name + " " + c.get("messages"));
            int[] ids = JSON.convertValue(c.get("ids"), int[].class);
            assertArrayEquals(ids, tok.encode(text, false), name + " ids of " + c.get("messages"));
        }
    }
}

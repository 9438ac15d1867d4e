package dev.emo.data;

import dev.emo.Fixtures;
import dev.emo.UserError;
import dev.emo.registry.ModelFamilies;
import dev.emo.tokenizers.Tokenizer;
import org.junit.jupiter.api.Test;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The masks of the three formats, written out by hand as the pieces of text that are and are not trained,
 * and the refusals, on the real Llama 3 and Qwen3 tokenizers and templates.
 */
class InstructionDataTest {
    static Path resource(String name) {
        try {
            return Path.of(InstructionDataTest.class.getResource("/instruction/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** ids and labels of text pieces, each tokenized alone (special tokens as written), trained or not. */
    static InstructionData.Example expected(Tokenizer tok, Object... pieces) {
        List<Integer> ids = new ArrayList<>(), labels = new ArrayList<>();
        for (int i = 0; i < pieces.length; i += 2) {
            boolean trained = (Boolean) pieces[i + 1];
            for (int id : tok.encode((String) pieces[i], false)) {
                ids.add(id);
                labels.add(trained ? id : InstructionData.IGNORE);
            }
        }
        return new InstructionData.Example(0, ids.stream().mapToInt(x -> x).toArray(), labels.stream().mapToInt(x -> x).toArray());
    }

    static void assertExample(InstructionData.Example want, InstructionData.Example got) {
        assertArrayEquals(want.inputIds(), got.inputIds(), "input_ids of line " + got.line());
        assertArrayEquals(want.labels(), got.labels(), "labels of line " + got.line());
    }

    static List<InstructionData.Example> read(Path model, String file, Path template, boolean completionOnly) {
        return InstructionData.read(resource(file), ModelFamilies.tokenizer(model), new InstructionData.Settings(model, template, completionOnly));
    }

    @Test
    void qwen3TrainsTheAnswerWithTheTemplatesThinkBlockAndItsEndOfTurn() {
        Path qwen = Fixtures.model("tiny-qwen3");
        Tokenizer tok = ModelFamilies.tokenizer(qwen);
        List<InstructionData.Example> got = read(qwen, "chat.jsonl", null, true);
        assertEquals(List.of(1, 3), got.stream().map(InstructionData.Example::line).toList(), "blank lines skipped, lines numbered in the file");
        assertExample(expected(tok, "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n", false,
                "<think>\n\n</think>\n\n4.<|im_end|>", true, "\n", false), got.get(0));
        // the earlier answer has no think block (the template drops it before the last user turn); both answers trained
        assertExample(expected(tok, "<|im_start|>user\nTranslate 'chat' to French.<|im_end|>\n<|im_start|>assistant\n", false,
                "« chat » — le même mot.<|im_end|>", true, "\n<|im_start|>user\nUnd auf Deutsch?<|im_end|>\n<|im_start|>assistant\n", false,
                "<think>\n\n</think>\n\nKatze.<|im_end|>", true, "\n", false), got.get(1));
    }

    @Test
    void llama3TrainsEachAnswerThroughItsEotId() {
        Path llama = Fixtures.model("tiny-llama3");
        Tokenizer tok = ModelFamilies.tokenizer(llama);
        List<InstructionData.Example> got = read(llama, "chat.jsonl", null, true);
        assertExample(expected(tok, "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
                + "What is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", false, "4.<|eot_id|>", true), got.get(0));
        assertExample(expected(tok, "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nTranslate 'chat' to French.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", false,
                "« chat » — le même mot.<|eot_id|>", true, "<|start_header_id|>user<|end_header_id|>\n\nUnd auf Deutsch?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", false,
                "Katze.<|eot_id|>", true), got.get(1));
    }

    @Test
    void promptCompletionTrainsTheCompletionAndTheEndOfTurnUnlessAskedOtherwise() {
        Path llama = Fixtures.model("tiny-llama3");
        Tokenizer tok = ModelFamilies.tokenizer(llama);
        List<InstructionData.Example> got = read(llama, "prompt_completion.jsonl", null, true);
        // the prompt with the tokenizer's BOS, the completion and tokenizer_config's eos_token (<|eot_id|>) appended, as TRL does
        assertExample(expected(tok, "<|begin_of_text|>Q: What is 2+2?\nA:", false, " 4<|eot_id|>", true), got.get(0));
        assertExample(expected(tok, "<|begin_of_text|>Capital of France?", false, " Paris.<|eot_id|>", true), got.get(1));
        List<InstructionData.Example> all = read(llama, "prompt_completion.jsonl", null, false);
        assertExample(expected(tok, "<|begin_of_text|>Q: What is 2+2?\nA: 4<|eot_id|>", true), all.get(0));
    }

    @Test
    void textTrainsEveryTokenAsPlainTextTrainingDoes() {
        Path qwen = Fixtures.model("tiny-qwen3");
        Tokenizer tok = ModelFamilies.tokenizer(qwen);
        InstructionData.Example got = read(qwen, "text.jsonl", null, true).get(0);
        int[] ids = tok.encode("Once upon a time there was a cat.");
        assertArrayEquals(ids, got.inputIds());
        assertArrayEquals(ids, got.labels());
    }

    @Test
    void badInputIsOneLineNamingTheLine() {
        Path llama = Fixtures.model("tiny-llama3");
        assertEquals(resource("mixed.jsonl") + ":2: a {\"messages\"} line in a file whose line 1 is {\"prompt\", \"completion\"}; keep one format per file (split the file)",
                refused(llama, "mixed.jsonl", null));
        assertEquals(resource("unknown_role.jsonl") + ":2: messages[0] has role 'narrator'; use system, user or assistant", refused(llama, "unknown_role.jsonl", null));
        assertEquals(resource("last_not_assistant.jsonl") + ":1: the last message is the user's, so there is no answer to train on;"
                + " end each training conversation with an assistant message", refused(llama, "last_not_assistant.jsonl", null));
        assertEquals(resource("empty_completion.jsonl") + ":2: \"completion\" is empty; give every example a non-empty completion, or drop the line",
                refused(llama, "empty_completion.jsonl", null));
        assertEquals(resource("not_json.jsonl") + ":2: is not valid JSON", refused(llama, "not_json.jsonl", null).split(" \\(")[0]);
    }

    @Test
    void templatesThatRaiseOrCannotBeMaskedAreRefused() {
        Path llama = Fixtures.model("tiny-llama3");
        assertEquals(resource("alternating.jsonl") + ":2: the chat template refuses the conversation: Conversation roles must alternate user/assistant/user/assistant/..."
                + " (" + resource("raises.jinja") + "); change the conversation to what the template accepts", refused(llama, "alternating.jsonl", resource("raises.jinja")));
        assertEquals(resource("chat.jsonl") + ":1: the chat template renders the turns before messages[2] differently once the conversation goes on"
                + " (its prompt for that answer is not the start of the whole conversation), so the answer cannot be told apart;"
                + " pass --chat_template FILE with a template that renders earlier turns the same way", refused(llama, "chat.jsonl", resource("moves_earlier_turns.jinja")));
        assertEquals(resource("chat.jsonl") + ":1: the rendering has no end-of-turn token (<|eot_id|>, id 128009) after messages[2];"
                + " pass --chat_template FILE with a template that ends each answer with the eos_token", refused(llama, "chat.jsonl", resource("no_end_of_turn.jinja")));
    }

    static String refused(Path model, String file, Path template) {
        String message = assertThrows(UserError.class, () -> read(model, file, template, true)).getMessage();
        assertEquals(1, message.lines().count(), message);
        return message;
    }
}

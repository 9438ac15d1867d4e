package dev.emo.cli;

import dev.emo.Fixtures;
import dev.emo.chat.ChatPrompt;
import dev.emo.generation.Generator;
import dev.emo.generation.Sampling;
import dev.emo.registry.ModelFamilies;
import dev.emo.registry.Models;
import dev.emo.tokenizers.Tokenizer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * generate --chat end to end on the Qwen3 fixture. Its random weights never draw <|im_end|>, so the model
 * folder's generation_config.json names a token the seeded sample does draw as a second end-of-turn id: the
 * answer printed is the continuation up to it, without it (as the chat pipeline decodes with
 * skip_special_tokens), and without the file the same command runs to --max_new_tokens.
 */
class ChatGenerateTest {
    @TempDir
    Path tmp;

    @Test
    void theAnswerStopsAtAnEndOfTurnIdListedInGenerationConfig() throws IOException {
        Path qwen = Fixtures.model("tiny-qwen3");
        Tokenizer tok = ModelFamilies.tokenizer(qwen);
        int[] prompt = ChatPrompt.ids(qwen, null, tok, "What is 2+2?");
        int[] sampled = new Generator(Models.load(qwen, dev.emo.models.GraphOptions.KV_CACHE).model())
                .generate(List.of(prompt), new Generator.Options(8, new Sampling(false, 1.0, 0, 1.0), 7, new int[0], 1, 0)).get(0).ids();
        int k = 1;   // the first token not drawn before it
        while (k < sampled.length && seenBefore(sampled, k)) k++;
        Assumptions.assumeTrue(k < sampled.length, "the sample repeats one token: " + Arrays.toString(sampled));

        String[] command = {"generate", "--chat", "--prompt", "What is 2+2?", "--max_new_tokens", "8", "--do_sample", "--seed", "7", "--model", null};
        command[10] = qwen.toString();
        assertEquals(tok.decode(sampled).strip(), run(command), "no stop drawn: all 8 tokens");
        Path model = Fixtures.withConfig("tiny-qwen3", tmp.resolve("qwen3"), c -> { });
        Files.writeString(model.resolve("generation_config.json"), "{\"eos_token_id\": [151645, " + sampled[k] + "]}");
        command[10] = model.toString();
        assertEquals(tok.decode(Arrays.copyOf(sampled, k)).strip(), run(command), "stopped at id " + sampled[k] + ", which is left out");
    }

    private static boolean seenBefore(int[] ids, int k) {
        for (int i = 0; i < k; i++) if (ids[i] == ids[k]) return true;
        return false;
    }

    private static String run(String... command) {
        CliRun r = CliRun.of(command);
        assertEquals(0, r.code(), r.err());
        return r.out().strip();
    }
}

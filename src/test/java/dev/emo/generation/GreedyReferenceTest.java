package dev.emo.generation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.Fixtures;
import dev.emo.models.CausalLM;
import dev.emo.registry.Models;
import dev.emo.tokenizers.Tokenizer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Greedy continuation equals the reference (an independent fp64 implementation), token for token. */
@org.junit.jupiter.api.Tag("slow")   // left out of ./run.sh test --fast
class GreedyReferenceTest {
    @TestFactory
    Stream<DynamicTest> greedyContinuationMatches() {
        return Fixtures.modelsWith("greedy.json").stream().map(dir ->
                DynamicTest.dynamicTest(dir.getFileName().toString(), () -> check(dir, Models.load(dir).model())));
    }

    /** Also run with the KV-cache graph by {@link KvCacheTest}. */
    static void check(Path dir, CausalLM model) throws Exception {
        JsonNode ref = new ObjectMapper().readTree(dir.resolve("reference/greedy.json").toFile());
        int[] prompt = ints(ref.get("prompt_ids"));
        int[] expected = ints(ref.get("greedy_ids"));
        Generator.Output out = new Generator(model).generate(prompt, expected.length, Sampling.GREEDY, 0, -1);
        assertArrayEquals(expected, out.ids());
        JsonNode lps = ref.get("greedy_logprobs");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(lps.get(i).asDouble(), out.logProbs()[i], 1e-4, "log-prob of token " + i);
        }
        int[] all = new int[prompt.length + expected.length];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(out.ids(), 0, all, prompt.length, expected.length);
        String text = dev.emo.registry.ModelFamilies.tokenizer(dir).decode(all);
        System.out.println("[greedy] " + dir.getFileName() + ": " + text);
        if (dir.getFileName().toString().equals("stories260k")) {
            assertTrue(text.startsWith("Once upon a time, there was a little girl named Lily."), text);
        }
    }

    private static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }
}

package dev.emo.tokenizers;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.SharedData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The families after LLaMA-2 (fixtures' families/: Llama 3.1, Qwen3, and Mistral/Qwen2 folders with
 * the stories260k tokenizer) through {@link Tokenizers#load} with the conventions their model
 * families are to pass: LLAMA for llama and mistral, QWEN for qwen2 and qwen3. This does not need
 * registry.ModelFamilies to know these model types; TokenizerReferenceTest covers that route.
 * Where the folder has reference/chat.json, its rendered chat templates are checked too.
 */
@org.junit.jupiter.api.Tag("slow")   // loads two 10 MB tokenizer.json files
class TokenizerFamiliesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Map<String, String> CONVENTIONS = Map.of("llama", "LLAMA", "mistral", "LLAMA", "qwen2", "QWEN", "qwen3", "QWEN");

    @TestFactory
    List<DynamicNode> familiesWithTheirConventions() throws IOException {
        Assumptions.assumeTrue(SharedData.present(), SharedData.missingMessage("fixtures"));
        Path families = SharedData.families();
        Assumptions.assumeTrue(Files.isDirectory(families), SharedData.missingMessage("families/"));
        List<DynamicNode> out = new ArrayList<>();
        try (var dirs = Files.list(families)) {
            for (Path dir : dirs.sorted().toList()) {
                if (!Files.isRegularFile(dir.resolve("reference/tokenization.json"))) continue;
                String modelType = JSON.readTree(dir.resolve("config.json").toFile()).path("model_type").asText();
                String conventions = CONVENTIONS.get(modelType);
                if (conventions == null) continue; // older families: TokenizerReferenceTest
                out.add(family(dir, conventions));
            }
        }
        Assumptions.assumeFalse(out.isEmpty(), SharedData.missingMessage("families/*/reference/tokenization.json"));
        return out;
    }

    private static DynamicContainer family(Path dir, String conventions) throws IOException {
        Supplier<BaseTokenizer> tok = TokenizerReferenceTest.memo(() -> {
            long t0 = System.nanoTime();
            BaseTokenizer t = (BaseTokenizer) Tokenizers.load(dir, conventions);
            System.out.printf("tokenizer %-14s loaded in %.2f s%n", dir.getFileName(), (System.nanoTime() - t0) / 1e9);
            return t;
        });
        List<DynamicTest> tests = new ArrayList<>();
        List<TokenizerReferenceTest.Case> cases = TokenizerReferenceTest.cases(dir);
        tests.add(DynamicTest.dynamicTest("all " + cases.size() + " reference cases", () -> {
            BaseTokenizer t = tok.get();
            for (TokenizerReferenceTest.Case c : cases) {
                int[] got = t.encode(c.text());
                assertArrayEquals(c.ids(), got, () -> "ids of " + TokenizerReferenceTest.printable(c.text()) + ": got " + Arrays.toString(got));
            }
        }));
        tests.add(DynamicTest.dynamicTest("special ids agree with config.json", () -> TokenizerReferenceTest.specialIds(dir, tok.get())));
        Path chat = dir.resolve("reference/chat.json");
        if (Files.isRegularFile(chat)) {
            // rendered chat templates: special tokens written in the text map to their ids; nothing is added
            tests.add(DynamicTest.dynamicTest("chat template renderings", () -> {
                BaseTokenizer t = tok.get();
                for (var c : JSON.readTree(chat.toFile())) {
                    String text = c.get("text").asText();
                    int[] ids = TokenizerReferenceTest.ints(c.get("ids"));
                    assertArrayEquals(ids, t.encode(text, false), () -> "ids of " + TokenizerReferenceTest.printable(text));
                    assertEquals(text, t.decode(ids, false));
                }
            }));
        }
        return DynamicContainer.dynamicContainer(dir.getFileName() + " (" + conventions + ")", tests);
    }
}

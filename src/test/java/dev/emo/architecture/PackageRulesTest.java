package dev.emo.architecture;

import dev.emo.UserError;
import dev.emo.models.CausalLM;
import dev.emo.models.ModelConfig;
import dev.emo.models.ModelFamily;
import dev.emo.registry.Architectures;
import dev.emo.registry.ModelFamilies;
import dev.emo.registry.Models;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layout's rules, read from the sources: no import cycle between packages; a family's name
 * appears only in its own package (everything else asks the registry); the CLI parses and calls
 * jobs (it imports no training, data, execution or objective internals).
 */
class PackageRulesTest {
    static final Path MAIN = Path.of("src/main/java");
    static final Pattern REF = Pattern.compile("\\bdev\\.emo\\.((?:[a-z0-9]+\\.)*)[A-Z]");

    /** package → packages it names (imports or qualified names). */
    static Map<String, Set<String>> dependencies() throws IOException {
        Map<String, Set<String>> deps = new TreeMap<>();
        try (Stream<Path> files = Files.walk(MAIN.resolve("dev/emo"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String pkg = MAIN.relativize(f.getParent()).toString().replace('/', '.');
                Set<String> mine = deps.computeIfAbsent(pkg, k -> new TreeSet<>());
                Matcher m = REF.matcher(Files.readString(f));
                while (m.find()) {
                    String target = ("dev.emo." + m.group(1)).replaceAll("\\.$", "");
                    if (!target.equals(pkg)) mine.add(target);
                }
            }
        }
        return deps;
    }

    @Test
    void noImportCycleBetweenPackages() throws IOException {
        Map<String, Set<String>> deps = dependencies();
        assertTrue(deps.size() > 15, "packages found: " + deps.keySet());
        List<String> cycles = new ArrayList<>();
        for (String start : deps.keySet()) {
            // depth-first search for a path back to start
            List<List<String>> stack = new ArrayList<>(List.of(List.of(start)));
            Set<String> seen = new TreeSet<>();
            while (!stack.isEmpty()) {
                List<String> path = stack.remove(stack.size() - 1);
                for (String next : deps.getOrDefault(path.get(path.size() - 1), Set.of())) {
                    if (next.equals(start)) cycles.add(String.join(" -> ", path) + " -> " + start);
                    else if (seen.add(next)) {
                        List<String> longer = new ArrayList<>(path);
                        longer.add(next);
                        stack.add(longer);
                    }
                }
            }
        }
        assertEquals(List.of(), cycles);
    }

    @Test
    void cliCallsJobsNotPipelineInternals() throws IOException {
        Set<String> cli = dependencies().get("dev.emo.cli");
        for (String internal : List.of("dev.emo.training", "dev.emo.data", "dev.emo.execution", "dev.emo.evaluation.mauve")) {
            assertTrue(!cli.contains(internal), "cli names " + internal + ": pipeline logic belongs in a job; cli → " + cli);
        }
        assertTrue(cli.contains("dev.emo.jobs"), "cli → " + cli);
    }

    @Test
    void aFamilyIsNamedOnlyInItsOwnPackage() throws IOException {
        List<String> offenders = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String text = Files.readString(f);
                for (ModelFamily family : ModelFamilies.ALL) {
                    String own = "dev/emo/models/" + family.modelType() + "/";
                    if (!f.toString().contains(own) && text.contains("\"" + family.modelType() + "\"")) offenders.add(f + ": \"" + family.modelType() + "\"");
                }
            }
        }
        assertEquals(List.of(), offenders, "model types compared outside their family's package (ask registry.ModelFamilies)");
    }

    @Test
    void everyFamilyIsOnePackageWithWorkingParts() {
        assertEquals(List.of("gpt2", "opt", "llama", "qwen2", "qwen3", "mistral"), ModelFamilies.modelTypes());
        for (ModelFamily family : ModelFamilies.ALL) {
            assertEquals("dev.emo.models." + family.modelType(), family.getClass().getPackageName(), "one package per family");
            assertTrue(!family.referenceSizes().isEmpty(), family.modelType() + " has benchmark sizes");
            // the smallest reference size, shrunk, builds; its 1-D parameters are biases or norms, the rest decay
            ModelConfig big = family.referenceSizes().values().iterator().next();
            ModelConfig small = new ModelConfig(big.file(), big.modelType(), 64, 16, 2, 2, big.numKvHeads() < big.numHeads() ? 1 : 2, 32, 16,
                    big.normEps(), big.activation(), big.tieWordEmbeddings(), big.preLayerNorm(), big.wordEmbedProjDim() == big.hiddenSize() ? 16 : 8,
                    big.ropeTheta(), big.bosTokenId(), big.eosTokenId(), big.padTokenId())
                    .with(big.headDim() == big.hiddenSize() / big.numHeads() ? 8 : 6, big.ropeScaling(), Math.min(big.slidingWindow(), 4), big.variant());
            CausalLM model = Models.build(small);
            int norms = 0;
            for (var e : model.params().entrySet()) {
                boolean vector = e.getValue().getArr().rank() == 1;
                if (family.isNorm(e.getKey())) norms++;
                assertEquals(!vector, family.decays(e.getKey()), family.modelType() + " " + e.getKey() + ": decays iff a matrix");
            }
            assertTrue(norms >= 2 * small.numLayers() + 1, family.modelType() + ": norms found " + norms);
        }
        assertTrue(Architectures.names().containsAll(List.of("gpt2-small", "opt-350m", "llama-tiny", "llama3.2-1b", "qwen2.5-0.5b", "qwen3-0.6b",
                "mistral-7b")), Architectures.names().toString());
    }

    @Test
    void anUnregisteredModelTypeIsOneLineNamingTheFamilies(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"gemma2\", \"vocab_size\": 10}");
        UserError e = org.junit.jupiter.api.Assertions.assertThrows(UserError.class, () -> ModelFamilies.config(dir));
        assertTrue(e.getMessage().contains("gemma2") && e.getMessage().contains("gpt2, opt, llama, qwen2, qwen3, mistral"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(UserError.class, () -> ModelFamilies.tokenizer(dir));
        assertTrue(e.getMessage().contains("gemma2"), "the tokenizer asks the same registry: " + e.getMessage());
    }
}

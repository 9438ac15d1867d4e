package dev.emo.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.SharedData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every model folder with {@code reference/tokenization.json}: exact ids for each case through every
 * loading route the folder offers, and decode round-trips. Adding a folder adds its tests.
 */
@org.junit.jupiter.api.Tag("slow")   // left out of ./run.sh test --fast
class TokenizerReferenceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Case(String text, int[] ids, int[] plainIds) {}

    static List<Path> referenceDirs() {
        Assumptions.assumeTrue(SharedData.present(), SharedData.missingMessage("fixtures"));
        List<Path> dirs = SharedData.modelDirs().stream()
                .filter(d -> Files.isRegularFile(d.resolve("reference/tokenization.json"))).toList();
        Assumptions.assumeFalse(dirs.isEmpty(), SharedData.missingMessage("models/*/reference/tokenization.json"));
        return dirs;
    }

    static List<Case> cases(Path dir) throws IOException {
        JsonNode root = JSON.readTree(dir.resolve("reference/tokenization.json").toFile());
        List<Case> out = new ArrayList<>();
        for (JsonNode c : root.path("cases")) {
            out.add(new Case(c.get("text").asText(), ints(c.get("ids")), c.has("plain_bpe_ids") ? ints(c.get("plain_bpe_ids")) : null));
        }
        return out;
    }

    static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    @TestFactory
    List<DynamicNode> referenceTokenization(@TempDir Path tmp) throws IOException {
        List<DynamicNode> models = new ArrayList<>();
        for (Path dir : referenceDirs()) {
            List<Case> cases = cases(dir);
            List<DynamicNode> routes = new ArrayList<>();
            routes.add(route(dir, "Tokenizer.load", () -> (BaseTokenizer) dev.emo.registry.ModelFamilies.tokenizer(dir), cases, false));
            Path tj = dir.resolve("tokenizer.json");
            boolean vocabRoute = Files.isRegularFile(dir.resolve("vocab.json")) && Files.isRegularFile(dir.resolve("merges.txt"));
            if (Files.isRegularFile(tj)) {
                routes.add(route(dir, "tokenizer.json alone", () -> TokenizerJson.read(tj).isByteLevel()
                        ? ByteLevelBpeTokenizer.fromTokenizerJson(tj) : SentencePieceBpeTokenizer.fromTokenizerJson(tj), cases, false));
                if (vocabRoute) {
                    // the folder without tokenizer.json: HF's GPT2Tokenizer still keeps special tokens whole
                    Path only = Files.createDirectories(tmp.resolve(dir.getFileName() + "-vocab-merges"));
                    for (String f : new String[] {"vocab.json", "merges.txt", "config.json", "tokenizer_config.json"}) {
                        if (Files.isRegularFile(dir.resolve(f))) Files.createSymbolicLink(only.resolve(f), dir.resolve(f).toAbsolutePath());
                    }
                    routes.add(route(dir, "Tokenizer.load without tokenizer.json", () -> (BaseTokenizer) dev.emo.registry.ModelFamilies.tokenizer(only), cases, false));
                }
            }
            if (vocabRoute) {
                routes.add(route(dir, "plain vocab.json + merges.txt", () -> ByteLevelBpeTokenizer.fromVocabAndMerges(
                        dir.resolve("vocab.json"), dir.resolve("merges.txt")), cases, true));
            }
            routes.add(DynamicTest.dynamicTest("special ids and vocab size agree with config.json", () -> specialIds(dir)));
            models.add(DynamicContainer.dynamicContainer(dir.getFileName().toString(), routes));
        }
        return models;
    }

    /** bos/eos/pad as config.json says; every token id must have an embedding row (vocab_size). */
    private static void specialIds(Path dir) throws IOException {
        specialIds(dir, dev.emo.registry.ModelFamilies.tokenizer(dir));
    }

    static void specialIds(Path dir, Tokenizer t) throws IOException {
        Path cfgFile = dir.resolve("config.json");
        Assumptions.assumeTrue(Files.isRegularFile(cfgFile), "no config.json in " + dir);
        JsonNode cfg = JSON.readTree(cfgFile.toFile());
        if (cfg.path("bos_token_id").isInt()) assertEquals(cfg.get("bos_token_id").asInt(), t.bosId(), "bos");
        if (cfg.path("eos_token_id").isInt()) assertEquals(cfg.get("eos_token_id").asInt(), t.eosId(), "eos");
        assertEquals(cfg.path("pad_token_id").isInt() ? cfg.get("pad_token_id").asInt() : tokenizerConfigPad(dir), t.padId(), "pad");
        if (cfg.path("vocab_size").isInt())
            assertTrue(t.vocabSize() <= cfg.get("vocab_size").asInt(), () -> "tokenizer ids " + t.vocabSize() + " > vocab_size");
    }

    /** Where config.json has no pad id: the id of tokenizer_config.json's pad_token (Qwen: <|endoftext|>), else -1. */
    private static int tokenizerConfigPad(Path dir) throws IOException {
        Path cfg = dir.resolve("tokenizer_config.json"), tj = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(cfg) || !Files.isRegularFile(tj)) return -1;
        String pad = JSON.readTree(cfg.toFile()).path("pad_token").asText(null);
        if (pad == null) return -1;
        JsonNode root = JSON.readTree(tj.toFile());
        for (JsonNode a : root.path("added_tokens")) if (pad.equals(a.path("content").asText())) return a.get("id").asInt();
        return root.path("model").path("vocab").path(pad).asInt(-1);
    }

    /**
     * One loading route over all cases. {@code plain}: nothing is added on encode, so the expected ids
     * are the case's ids without the model's prefix/suffix, or its plain_bpe_ids where it has them.
     */
    private DynamicContainer route(Path dir, String name, Supplier<BaseTokenizer> load, List<Case> cases, boolean plain) throws IOException {
        Supplier<BaseTokenizer> once = memo(load);
        List<Normalizer.Form> forms = unicodeForms(dir);
        Supplier<BaseTokenizer> byDefault = memo(() -> (BaseTokenizer) dev.emo.registry.ModelFamilies.tokenizer(dir));
        List<DynamicTest> tests = IntStream.range(0, cases.size()).mapToObj(i -> {
            Case c = cases.get(i);
            return DynamicTest.dynamicTest(i + ": " + printable(c.text()), () -> {
                BaseTokenizer t = once.get();
                int[] expected = c.ids();
                if (plain) expected = c.plainIds() != null ? c.plainIds() : strip(c.ids(), byDefault.get().specialTokens());
                int[] got = plain ? t.encode(c.text(), false) : t.encode(c.text());
                assertArrayEquals(expected, got, () -> "ids of " + printable(c.text()) + ": got " + Arrays.toString(got));
                int[] body = t.encode(c.text(), false);
                assertArrayEquals(t.encode(c.text()), concat(t.specialTokens().prefix(), body, t.specialTokens().suffix()));
                // with special tokens kept as text every case round-trips, in the normal form the normalizer writes
                String text = c.text();
                for (Normalizer.Form f : forms) text = Normalizer.normalize(text, f);
                assertEquals(text, t.decode(body, false), "decode(encode(text, false), keep specials)");
                // the default decode skips specials: it round-trips unless the text itself names one
                String expectedText = Arrays.stream(body).anyMatch(t::isSpecial) ? withoutSpecials(t, body) : text;
                assertEquals(expectedText, t.decode(t.encode(c.text())), "decode(encode(text))");
            });
        }).toList();
        return DynamicContainer.dynamicContainer(name, tests);
    }

    /**
     * The Unicode normal forms (NFC, NFKC ...) the folder's tokenizer.json normalizer applies, in order:
     * ids are computed on the normalized text, so decode gives that text back, not the original.
     */
    static List<Normalizer.Form> unicodeForms(Path dir) throws IOException {
        List<Normalizer.Form> forms = new ArrayList<>();
        Path tj = dir.resolve("tokenizer.json");
        if (Files.isRegularFile(tj)) {
            for (JsonNode n : JSON.readTree(tj.toFile()).path("normalizer").findParents("type")) {
                String type = n.get("type").asText();
                if (type.matches("NFK?[CD]")) forms.add(Normalizer.Form.valueOf(type));
            }
        }
        return forms;
    }

    static <T> Supplier<T> memo(Supplier<T> s) {
        Object[] box = new Object[1];
        return () -> {
            @SuppressWarnings("unchecked") T v = (T) box[0];
            if (v == null) box[0] = v = s.get();
            return v;
        };
    }

    static String withoutSpecials(BaseTokenizer t, int[] body) {
        StringBuilder sb = new StringBuilder();
        List<Integer> run = new ArrayList<>();
        for (int id : body) {
            if (t.isSpecial(id)) {
                sb.append(t.decode(run.stream().mapToInt(Integer::intValue).toArray()));
                run.clear();
            } else {
                run.add(id);
            }
        }
        return sb.append(t.decode(run.stream().mapToInt(Integer::intValue).toArray())).toString();
    }

    static int[] strip(int[] ids, SpecialTokens sp) {
        int from = sp.prefix().length, to = ids.length - sp.suffix().length;
        return Arrays.copyOfRange(ids, from, to);
    }

    static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
    }

    static String printable(String s) {
        String p = s.replace("\n", "\\n").replace("\t", "\\t");
        return p.length() > 40 ? p.substring(0, 40) + "..." : p;
    }

    /** Not an assertion: encode speed on the reference texts, for the record. */
    @Test
    void throughput() throws IOException {
        for (Path dir : referenceDirs()) {
            StringBuilder sb = new StringBuilder();
            for (Case c : cases(dir)) sb.append(c.text()).append('\n');
            String text = sb.toString().repeat(200);
            Tokenizer t = dev.emo.registry.ModelFamilies.tokenizer(dir);
            for (long end = System.nanoTime() + 1_000_000_000L; System.nanoTime() < end; ) t.encode(text); // JIT warm-up
            long t0 = System.nanoTime();
            int n = 0, reps = 5;
            for (int i = 0; i < reps; i++) n += t.encode(text).length;
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf("tokenizer %-22s %6.1f MB/s, %8.0f tokens/s%n", dir.getFileName(),
                    text.length() * (double) reps / s / 1e6, n / s);
            assertTrue(n > 0);
        }
    }
}

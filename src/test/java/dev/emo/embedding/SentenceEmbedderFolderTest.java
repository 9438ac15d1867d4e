package dev.emo.embedding;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emo.SharedData;
import dev.emo.UserError;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SentenceEmbedder#fromFolder}: sentence-transformers export folders built around the
 * all-MiniLM-L6-v2 files, each setting read from its file and checked against the plain-ORT +
 * HF-tokenizer reference (pooling, max length, do_lower_case, both ONNX layouts), and one-line
 * errors for bad folders.
 */
@org.junit.jupiter.api.Tag("slow")   // left out of ./run.sh test --fast
class SentenceEmbedderFolderTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path tmp;
    private static Path onnx, tokenizerJson;
    private static MiniLmReference ort;
    private static List<String> texts;

    @BeforeAll
    static void extract() throws Exception {
        onnx = tmp.resolve("all-minilm-l6-v2.onnx");
        tokenizerJson = tmp.resolve("tokenizer.json");
        try (InputStream m = MiniLmReference.resource(SentenceEmbedder.DEFAULT_MODEL);
             InputStream t = MiniLmReference.resource(SentenceEmbedder.DEFAULT_TOKENIZER)) {
            Files.copy(m, onnx);
            Files.copy(t, tokenizerJson);
        }
        ort = new MiniLmReference();
        texts = new ArrayList<>();
        MiniLmReference.cases().forEach(c -> texts.add(c.text()));
    }

    @AfterAll
    static void close() throws Exception {
        if (ort != null) ort.close();
    }

    /** A folder with model.onnx (linked) at {@code onnxPath}, tokenizer.json and the given JSON files. */
    private static Path folder(String name, String onnxPath, Map<String, String> files) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.createDirectories(dir.resolve(onnxPath).getParent());
        Files.createSymbolicLink(dir.resolve(onnxPath), onnx);
        Files.copy(tokenizerJson, dir.resolve("tokenizer.json"));
        for (var e : files.entrySet()) {
            Files.createDirectories(dir.resolve(e.getKey()).getParent());
            Files.writeString(dir.resolve(e.getKey()), e.getValue());
        }
        return dir;
    }

    /** Ours against the reference: HF ids truncated at maxLength, one unpadded ORT run, pooled. */
    private static void assertMatchesReference(SentenceEmbedder e, int maxLength, boolean cls, Path tokenizerFile, boolean lowerFirst) throws Exception {
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(tokenizerFile,
                Map.of("padding", "false", "truncation", "true", "maxLength", Integer.toString(maxLength)))) {
            float[][] mine = e.embed(texts);
            for (int i = 0; i < texts.size(); i++) {
                String t = texts.get(i);
                long[] ids = hf.encode(lowerFirst ? t.toLowerCase(Locale.ROOT) : t).getIds();
                assertArrayEquals(ids, Arrays.stream(e.tokenize(t)).asLongStream().toArray(), t);
                float d = MiniLmReference.maxAbsDiff(mine[i], ort.embed(ids, cls));
                assertTrue(d <= SentenceEmbedderReferenceTest.TOLERANCE, "max |Δ| " + d + " for: " + t);
            }
        }
    }

    @Test
    void sentenceTransformersLayout() throws Exception {
        Path dir = folder("st-mean-128", "model.onnx", Map.of(
                "sentence_bert_config.json", "{\"max_seq_length\": 128, \"do_lower_case\": false}",
                "1_Pooling/config.json", "{\"word_embedding_dimension\": 384, \"pooling_mode_mean_tokens\": true}",
                "config.json", "{\"model_type\": \"bert\", \"max_position_embeddings\": 512}"));
        try (SentenceEmbedder e = SentenceEmbedder.fromFolder(dir)) {
            assertEquals("st-mean-128", e.name());
            assertEquals(384, e.dimension());
            assertEquals(128, e.maxLength());
            assertMatchesReference(e, 128, false, tokenizerJson, false);
            assertThrows(IllegalArgumentException.class, () -> e.setMaxLength(513), "beyond max_position_embeddings");
        }
    }

    /** Xenova layout (onnx/model.onnx), pooling module found through modules.json, length from config files. */
    @Test
    void xenovaLayoutWithClsPoolingAndConfigLength() throws Exception {
        Path dir = folder("xenova-cls", "onnx/model.onnx", Map.of(
                "modules.json", "[{\"idx\": 0, \"path\": \"\", \"type\": \"sentence_transformers.models.Transformer\"},"
                        + " {\"idx\": 1, \"path\": \"pool\", \"type\": \"sentence_transformers.models.Pooling\"}]",
                "pool/config.json", "{\"pooling_mode_cls_token\": true, \"pooling_mode_mean_tokens\": false}",
                "config.json", "{\"max_position_embeddings\": 512}",
                "tokenizer_config.json", "{\"model_max_length\": 1000000000000000019884624838656}"));
        try (SentenceEmbedder e = SentenceEmbedder.fromFolder(dir)) {
            assertEquals(512, e.maxLength(), "min(max_position_embeddings, model_max_length)");
            assertMatchesReference(e, 512, true, tokenizerJson, false);
        }
    }

    /** do_lower_case lower-cases the input before a tokenizer that itself keeps case. */
    @Test
    void doLowerCase() throws Exception {
        Path dir = folder("lower", "model.onnx", Map.of("sentence_bert_config.json", "{\"max_seq_length\": 256, \"do_lower_case\": true}"));
        ObjectNode tj = (ObjectNode) JSON.readTree(tokenizerJson.toFile());
        ((ObjectNode) tj.get("normalizer")).put("lowercase", false).put("strip_accents", false);
        Path cased = dir.resolve("tokenizer.json");
        Files.delete(cased);
        JSON.writeValue(cased.toFile(), tj);
        try (SentenceEmbedder e = SentenceEmbedder.fromFolder(dir);
             HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(cased, Map.of("padding", "false"))) {
            String upper = "THE STOCK MARKET CRASHED";
            assertFalse(Arrays.equals(hf.encode(upper).getIds(), Arrays.stream(e.tokenize(upper)).asLongStream().toArray()),
                    "the cased tokenizer alone must give other ids, or this test proves nothing");
            assertMatchesReference(e, 256, false, cased, true);
        }
    }

    @Test
    void badFoldersAreOneLineErrors(@TempDir Path dir) throws Exception {
        assertError(dir.resolve("missing"), "not a folder");
        assertError(dir, "no model.onnx");
        Files.createSymbolicLink(dir.resolve("model.onnx"), onnx);
        assertError(dir, "no tokenizer.json");
        Files.copy(tokenizerJson, dir.resolve("tokenizer.json"));
        Path pooling = Files.createDirectories(dir.resolve("1_Pooling")).resolve("config.json");
        Files.writeString(pooling, "{\"pooling_mode_cls_token\": true, \"pooling_mode_mean_tokens\": true}");
        assertError(dir, "several pooling modes");
        Files.writeString(pooling, "{\"pooling_mode_lasttoken\": true}");
        assertError(dir, "pooling_mode_lasttoken is not supported");
        Files.writeString(pooling, "{not json");
        assertError(dir, "not valid JSON");
        Files.delete(pooling);

        Path corrupt = Files.createDirectories(dir.resolve("corrupt"));
        Files.writeString(corrupt.resolve("model.onnx"), "not a protobuf");
        Files.copy(tokenizerJson, corrupt.resolve("tokenizer.json"));
        assertError(corrupt, "ONNX Runtime cannot load it");

        Path gpt2 = SharedData.models().resolve("tiny-gpt2").resolve("tokenizer.json");
        Assumptions.assumeTrue(Files.isRegularFile(gpt2), SharedData.missingMessage("models/tiny-gpt2/tokenizer.json"));
        Path bpe = Files.createDirectories(dir.resolve("bpe"));
        Files.createSymbolicLink(bpe.resolve("model.onnx"), onnx);
        Files.copy(gpt2, bpe.resolve("tokenizer.json"));
        assertError(bpe, "model type is not WordPiece");
    }

    private static void assertError(Path dir, String problem) {
        UserError err = assertThrows(UserError.class, () -> SentenceEmbedder.fromFolder(dir).close());
        String m = err.getMessage();
        assertTrue(m.contains(problem), m);
        assertFalse(m.contains("\n"), "one line: " + m);
        assertTrue(m.contains(";"), "FILE: PROBLEM; FIX: " + m);
    }
}

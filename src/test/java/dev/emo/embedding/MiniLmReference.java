package dev.emo.embedding;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.SharedData;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Independent references for all-MiniLM-L6-v2 in tests: Hugging Face's own (Rust) tokenizer through
 * DJL, and a plain ONNX Runtime session fed one unpadded sequence of its ids, pooled and normalised
 * here as sentence-transformers does. Also the test inputs: the hand-made cases and AG News texts.
 */
public final class MiniLmReference implements AutoCloseable {
    static {
        // DJL extracts its native tokenizer library here instead of ~/.djl.ai
        System.setProperty("DJL_CACHE_DIR", Path.of("target", "djl-cache").toAbsolutePath().toString());
    }

    public record Case(String name, String text, boolean blank) {}

    private final OrtEnvironment env = dev.emo.onnx.Ort.environment();
    private final OrtSession session;

    public MiniLmReference() throws Exception {
        session = env.createSession(resource(SentenceEmbedder.DEFAULT_MODEL).readAllBytes(), new OrtSession.SessionOptions());
    }

    public static InputStream resource(String name) {
        InputStream in = MiniLmReference.class.getClassLoader().getResourceAsStream(name);
        if (in == null) throw new IllegalStateException("classpath resource " + name + " missing");
        return in;
    }

    /** HF's tokenizer from the same tokenizer.json; {@code maxLength <= 0}: no truncation. Never pads. */
    public static HuggingFaceTokenizer tokenizer(int maxLength) throws IOException {
        Map<String, String> opts = maxLength > 0
                ? Map.of("padding", "false", "truncation", "true", "maxLength", Integer.toString(maxLength))
                : Map.of("padding", "false", "truncation", "false");
        try (InputStream in = resource(SentenceEmbedder.DEFAULT_TOKENIZER)) {
            return HuggingFaceTokenizer.newInstance(in, opts);
        }
    }

    /** The hand-made cases of cases.json, "repeat" expanded. */
    public static List<Case> cases() {
        try (InputStream in = resource("dev/emo/embedding/cases.json")) {
            JsonNode root = new ObjectMapper().readTree(in);
            List<Case> out = new ArrayList<>();
            for (JsonNode c : root.path("cases")) {
                out.add(new Case(c.get("name").asText(), c.get("text").asText().repeat(c.path("repeat").asInt(1)), c.path("blank").asBoolean(false)));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Title + description of the first {@code n} AG News test rows; empty when the corpus is absent. */
    public static List<String> agNews(int n) {
        Path csv = SharedData.data().resolve("ag_news/test.csv");
        if (!Files.isRegularFile(csv)) return List.of();
        List<String> out = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            for (CSVRecord rec : CSVFormat.DEFAULT.parse(r)) {
                if (out.size() == n) break;
                out.add(rec.get(1) + ". " + rec.get(2).replace("\\", " "));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The model's token vectors for one unpadded sequence, pooled (mean or [CLS]) and L2-normalised. */
    public float[] embed(long[] ids, boolean cls) throws Exception {
        long[] shape = {1, ids.length};
        long[] ones = new long[ids.length];
        java.util.Arrays.fill(ones, 1);
        try (OnnxTensor a = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
             OnnxTensor m = OnnxTensor.createTensor(env, LongBuffer.wrap(ones), shape);
             OnnxTensor t = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[ids.length]), shape);
             OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", m, "token_type_ids", t))) {
            float[][] tokens = ((float[][][]) r.get("output_0").orElseThrow().getValue())[0]; // [T, 384]
            double[] v = new double[tokens[0].length]; // the sum: the mean's 1/T cancels in the normalisation
            for (int i = 0; i < (cls ? 1 : tokens.length); i++) {
                for (int j = 0; j < v.length; j++) v[j] += tokens[i][j];
            }
            double norm = Math.sqrt(java.util.Arrays.stream(v).map(x -> x * x).sum());
            float[] out = new float[v.length];
            for (int j = 0; j < v.length; j++) out[j] = (float) (v[j] / norm);
            return out;
        }
    }

    public static float maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) return Float.POSITIVE_INFINITY;
        float d = 0;
        for (int j = 0; j < a.length; j++) d = Math.max(d, Math.abs(a[j] - b[j]));
        return d;
    }

    @Override
    public void close() throws Exception {
        session.close();
    }
}

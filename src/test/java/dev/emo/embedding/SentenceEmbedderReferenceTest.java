package dev.emo.embedding;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * all-MiniLM-L6-v2 through {@link SentenceEmbedder#defaultModel()} against two independent
 * references, per component within {@link #TOLERANCE}:
 * <ul>
 * <li>langchain4j's own {@code AllMiniLmL6V2EmbeddingModel} (HF's Rust tokenizer via DJL + ORT,
 *   one unpadded text per run). It truncates at tokenizer.json's 128 tokens, not at
 *   sentence-transformers' 256, so it is compared with our embedder set to 128.</li>
 * <li>a plain ORT session fed HF's ids truncated at 256 (sentence-transformers' length), which also
 *   covers the blank inputs langchain4j refuses, at several batch sizes.</li>
 * </ul>
 */
@org.junit.jupiter.api.Tag("slow")   // left out of ./run.sh test --fast
class SentenceEmbedderReferenceTest {
    private static final Logger LOG = LogManager.getLogger(SentenceEmbedderReferenceTest.class);
    /** max |ours − reference| per component; float32 ORT with and without padding differ by ~1e-7 */
    static final float TOLERANCE = 1e-5f;
    private static SentenceEmbedder ours;
    private static MiniLmReference ort;
    private static List<MiniLmReference.Case> cases;
    private static List<String> news;

    @BeforeAll
    static void load() throws Exception {
        ours = SentenceEmbedder.defaultModel();
        ort = new MiniLmReference();
        cases = MiniLmReference.cases();
        news = MiniLmReference.agNews(64);
    }

    @AfterAll
    static void close() throws Exception {
        if (ours != null) ours.close();
        if (ort != null) ort.close();
    }

    @Test
    void describesItself() {
        assertEquals("all-MiniLM-L6-v2", ours.name());
        assertEquals(384, ours.dimension());
        assertEquals(256, ours.maxLength(), "sentence_bert_config.json max_seq_length");
    }

    @Test
    void matchesLangchain4j() throws Exception {
        List<String> texts = new ArrayList<>();
        cases.stream().filter(c -> !c.blank()).forEach(c -> texts.add(c.text()));
        texts.addAll(news);
        String longText = cases.stream().filter(c -> c.name().equals("long text")).findFirst().orElseThrow().text();
        try (HuggingFaceTokenizer untruncated = MiniLmReference.tokenizer(0)) {
            assertTrue(untruncated.encode(longText).getIds().length > 256, "the long case must exceed 256 tokens");
        }
        AllMiniLmL6V2EmbeddingModel reference = new AllMiniLmL6V2EmbeddingModel();
        try (SentenceEmbedder at128 = SentenceEmbedder.defaultModel().setMaxLength(128)) {
            float[][] mine = at128.embed(texts);
            float worst = 0;
            for (int i = 0; i < texts.size(); i++) {
                float[] theirs = reference.embed(texts.get(i)).content().vector();
                float d = MiniLmReference.maxAbsDiff(mine[i], theirs);
                assertTrue(d <= TOLERANCE, "max |Δ| " + d + " for: " + texts.get(i));
                worst = Math.max(worst, d);
            }
            LOG.info("vs langchain4j AllMiniLmL6V2EmbeddingModel: {} texts, max |Δ| per component {}", texts.size(), worst);
        }
    }

    @Test
    void matchesPlainOrtOnHuggingFaceIdsAt256() throws Exception {
        List<String> texts = new ArrayList<>();
        cases.forEach(c -> texts.add(c.text()));
        texts.addAll(news);
        List<float[]> expected = new ArrayList<>();
        try (HuggingFaceTokenizer hf = MiniLmReference.tokenizer(256)) {
            for (String t : texts) {
                long[] ids = hf.encode(t).getIds();
                assertArrayEquals(ids, Arrays.stream(ours.tokenize(t)).asLongStream().toArray(), t);
                expected.add(ort.embed(ids, false));
            }
        }
        int saved = ours.batchSize();
        try {
            for (int batch : new int[] {1, 5, 32}) {
                float[][] mine = ours.setBatchSize(batch).embed(texts);
                float worst = 0;
                for (int i = 0; i < texts.size(); i++) {
                    float d = MiniLmReference.maxAbsDiff(mine[i], expected.get(i));
                    assertTrue(d <= TOLERANCE, "batch " + batch + ": max |Δ| " + d + " for: " + texts.get(i));
                    worst = Math.max(worst, d);
                }
                LOG.info("vs plain ORT on HF ids (max length 256), batch size {}: {} texts, max |Δ| per component {}", batch, texts.size(), worst);
            }
        } finally {
            ours.setBatchSize(saved);
        }
    }

    /** Throughput on news-sized texts at the default batch size; the rows must be unit length. */
    @Test
    void throughput() {
        List<String> texts = MiniLmReference.agNews(512);
        if (texts.isEmpty()) cases.forEach(c -> texts.add(c.text())); // corpus absent: the hand-made cases
        ours.embed(texts.subList(0, Math.min(32, texts.size()))); // warm-up
        long t0 = System.nanoTime();
        float[][] rows = ours.embed(texts);
        double seconds = (System.nanoTime() - t0) / 1e9;
        for (float[] r : rows) {
            double norm = Math.sqrt(NearestNeighbours.dot(r, r));
            assertEquals(1.0, norm, 1e-5, "unit rows");
        }
        // the load average says how much of the machine other processes took during the measurement
        LOG.info("embedding throughput: {} texts in {} s = {} sentences/s ({} cores, batch {}, load average {})", texts.size(),
                String.format("%.2f", seconds), String.format("%.1f", texts.size() / seconds), Runtime.getRuntime().availableProcessors(),
                ours.batchSize(), String.format("%.1f", java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
    }
}

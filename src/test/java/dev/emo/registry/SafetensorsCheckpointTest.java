package dev.emo.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emo.Fixtures;
import dev.emo.UserError;
import dev.emo.jobs.FinetuneJob;
import dev.emo.jobs.FinetuneSettings;
import dev.emo.models.CausalLM;
import dev.emo.onnx.ModelFolderWriter;
import dev.emo.safetensors.SafeTensors;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hugging Face checkpoint folders (config.json + model.safetensors, or shards + index), written here
 * from each fixture's ONNX weights under the state-dict key names Hugging Face uses, load into the
 * same graph with the same logits as the ONNX export; a fine-tuning run on one gives back a
 * safetensors folder under the same keys.
 */
class SafetensorsCheckpointTest {
    @TempDir
    Path tmp;

    /** The fixture's weights as Hugging Face's state dict: LMHead keys, or the base model's (with its buffers). */
    static Map<String, INDArray> stateDict(CausalLM model, boolean baseModelKeys) {
        Map<String, INDArray> sd = new LinkedHashMap<>();
        String type = model.config().modelType();
        for (var e : model.weights().entrySet()) {
            String key = e.getKey();
            if (baseModelKeys && key.startsWith("transformer.")) key = key.substring("transformer.".length());
            if (baseModelKeys && key.startsWith("model.decoder.")) key = key.substring("model.".length());
            sd.put(key, e.getValue());
        }
        if (baseModelKeys && type.equals("gpt2")) {      // GPT-2's causal-mask buffers
            for (int l = 0; l < model.config().numLayers(); l++) sd.put("h." + l + ".attn.bias", Nd4j.ones(DataType.FLOAT, 1, 1, 4, 4));
        }
        if (baseModelKeys && type.equals("llama")) {      // LLaMA's old inv_freq buffers
            sd.put("model.layers.0.self_attn.rotary_emb.inv_freq", Nd4j.ones(DataType.FLOAT, model.config().headDim() / 2));
        }
        return sd;
    }

    static Path checkpointFolder(Path fixture, Map<String, INDArray> stateDict, int shards, Path out) throws IOException {
        return checkpointFolder(fixture, stateDict, shards, "F32", out);
    }

    /** A checkpoint folder with every tensor stored as {@code dtype} (F32 or BF16, as save_pretrained writes them). */
    static Path checkpointFolder(Path fixture, Map<String, INDArray> stateDict, int shards, String dtype, Path out) throws IOException {
        ModelFolderWriter.copySideFiles(fixture, out);
        Map<String, String> dtypes = new LinkedHashMap<>();
        stateDict.keySet().forEach(k -> dtypes.put(k, dtype));
        if (shards == 1) {
            SafeTensors.write(out.resolve(SafetensorsCheckpoint.SINGLE), stateDict, dtypes, Map.of("format", "pt"));
            return out;
        }
        List<Map<String, INDArray>> parts = new ArrayList<>();
        for (int i = 0; i < shards; i++) parts.add(new LinkedHashMap<>());
        int i = 0;
        ObjectMapper json = new ObjectMapper();
        ObjectNode index = json.createObjectNode(), map = index.putObject("weight_map");
        for (var e : stateDict.entrySet()) {
            int s = i++ % shards;
            parts.get(s).put(e.getKey(), e.getValue());
            map.put(e.getKey(), String.format("model-%05d-of-%05d.safetensors", s + 1, shards));
        }
        for (int s = 0; s < shards; s++) {
            SafeTensors.write(out.resolve(String.format("model-%05d-of-%05d.safetensors", s + 1, shards)), parts.get(s), dtypes, Map.of("format", "pt"));
        }
        json.writeValue(out.resolve(SafetensorsCheckpoint.INDEX).toFile(), index);
        return out;
    }

    private static INDArray logits(CausalLM model) {
        INDArray ids = Nd4j.createFromArray(new long[][]{{3, 17, 5, 9, 11, 2}, {4, 8, 15, 16, 23, 42}});
        INDArray mask = Nd4j.createFromArray(new long[][]{{1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0}});
        return model.forward(ids, mask);
    }

    @TestFactory
    Stream<DynamicTest> eachFixtureLoadsFromSafetensorsWithTheOnnxLogits() {
        return Fixtures.allModels().stream().map(fixture -> DynamicTest.dynamicTest(fixture.getFileName().toString(), () -> {
            Models.Loaded onnx = Models.load(fixture);
            INDArray expected = logits(onnx.model());
            String[][] layouts = {{"lmhead-single", "false", "1"}, {"base-keys-single", "true", "1"}, {"lmhead-3-shards", "false", "3"}};
            for (String[] layout : layouts) {
                Path dir = checkpointFolder(fixture, stateDict(onnx.model(), Boolean.parseBoolean(layout[1])), Integer.parseInt(layout[2]),
                        tmp.resolve(fixture.getFileName() + "-" + layout[0]));
                Models.Loaded st = Models.load(dir);
                assertEquals("safetensors", st.source().format(), layout[0]);
                double diff = logits(st.model()).sub(expected).amaxNumber().doubleValue();
                assertEquals(0, diff, 1e-6, fixture.getFileName() + " " + layout[0] + ": max |Δlogit| vs the ONNX export");
            }
            // bfloat16, as most checkpoints of the newer families are published: the export's weights rounded to
            // bfloat16 give exactly those logits, within bfloat16's rounding of the export's
            Map<String, INDArray> rounded = new LinkedHashMap<>();
            onnx.model().weights().forEach((k, w) -> rounded.put(k, toBf16AndBack(w)));
            CausalLM reference = Models.build(onnx.model().config());
            reference.loadWeights(rounded, fixture);
            Path bf16 = checkpointFolder(fixture, stateDict(onnx.model(), false), 1, "BF16", tmp.resolve(fixture.getFileName() + "-bf16"));
            INDArray got = logits(Models.load(bf16).model());
            assertEquals(0, got.sub(logits(reference)).amaxNumber().doubleValue(), 1e-6, fixture.getFileName() + " bf16: vs the rounded weights");
            double scale = expected.amaxNumber().doubleValue(), off = got.sub(expected).amaxNumber().doubleValue();
            System.out.printf("[safetensors] %-22s bf16 checkpoint: max |Δlogit| vs the float32 export %.2e (max |logit| %.2f)%n",
                    fixture.getFileName(), off, scale);
            assertTrue(off > 0 && off < 0.05 * scale, "bfloat16 rounding moves the logits a little: " + off);
        }));
    }

    private static INDArray toBf16AndBack(INDArray w) {
        float[] v = w.castTo(DataType.FLOAT).dup('c').data().asFloat();
        for (int i = 0; i < v.length; i++) v[i] = dev.emo.util.HalfFloats.bf16ToFloat(dev.emo.util.HalfFloats.floatToBf16(v[i]));
        return Nd4j.create(v, w.shape(), 'c');
    }

    @Test
    void aShardMissingFromTheIndexIsOneLine() throws IOException {
        Path fixture = Fixtures.model("stories260k");
        Path dir = checkpointFolder(fixture, stateDict(Models.load(fixture).model(), false), 2, tmp.resolve("sharded"));
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        UserError e = assertThrows(UserError.class, () -> Models.load(dir));
        assertTrue(e.getMessage().contains("model-00002-of-00002.safetensors") && e.getMessage().contains("download every shard"), e.getMessage());
    }

    @Test
    void fineTuningACheckpointFolderGivesOneBack() throws IOException {
        Path fixture = Fixtures.model("stories260k");
        Models.Loaded base = Models.load(fixture);
        Path dir = checkpointFolder(fixture, stateDict(base.model(), false), 1, tmp.resolve("hf"));
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 80; i++) text.append("Once upon a time there was a little cat who liked the sun.\n");
        Path train = Files.writeString(tmp.resolve("train.txt"), text);
        Path out = tmp.resolve("run");
        FinetuneJob.Result r = FinetuneJob.prepare(FinetuneSettings.builder(dir, train, out).validationFile(train).blockSize(32)
                .maxEvalSamples(4).perDeviceTrainBatchSize(4).maxSteps(3).learningRate(1e-2).build()).run(FinetuneJob.Listener.NONE);
        Path best = r.bestModel();
        assertTrue(Files.isRegularFile(best.resolve(SafetensorsCheckpoint.SINGLE)), "best/ is a safetensors folder");
        try (var files = Files.list(best)) {
            assertFalse(files.anyMatch(p -> p.toString().endsWith(".onnx")), "and holds no ONNX file");
        }
        assertEquals(SafeTensors.header(dir.resolve(SafetensorsCheckpoint.SINGLE)).keySet(),
                SafeTensors.header(best.resolve(SafetensorsCheckpoint.SINGLE)).keySet(), "the same state-dict keys back");
        Models.Loaded tuned = Models.load(best);
        double moved = logits(tuned.model()).sub(logits(base.model())).amaxNumber().doubleValue();
        assertTrue(moved > 1e-3, "best/ holds the tuned weights (logits moved by " + moved + ")");

        // a bfloat16 checkpoint comes back bfloat16, key for key
        Path bf16 = checkpointFolder(fixture, stateDict(base.model(), false), 1, "BF16", tmp.resolve("hf-bf16"));
        Path bestBf16 = FinetuneJob.prepare(FinetuneSettings.builder(bf16, train, tmp.resolve("run-bf16")).validationFile(train).blockSize(32)
                .maxEvalSamples(4).perDeviceTrainBatchSize(4).maxSteps(1).learningRate(1e-2).build()).run(FinetuneJob.Listener.NONE).bestModel();
        var header = SafeTensors.header(bestBf16.resolve(SafetensorsCheckpoint.SINGLE));
        assertEquals(SafeTensors.header(bf16.resolve(SafetensorsCheckpoint.SINGLE)).keySet(), header.keySet());
        assertTrue(header.values().stream().allMatch(e -> e.dtype().equals("BF16")), "every tensor written back as BF16");
    }
}

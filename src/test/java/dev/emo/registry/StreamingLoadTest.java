package dev.emo.registry;

import dev.emo.Fixtures;
import dev.emo.UserError;
import dev.emo.lowbit.BaseDType;
import dev.emo.lowbit.FrozenWeight;
import dev.emo.lowbit.PackedMatrix;
import dev.emo.models.CausalLM;
import dev.emo.models.GraphOptions;
import dev.emo.models.LoraSpec;
import dev.emo.safetensors.SafeTensors;
import dev.emo.util.HalfFloats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.emo.registry.SafetensorsCheckpointTest.checkpointFolder;
import static dev.emo.registry.SafetensorsCheckpointTest.stateDict;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checkpoints load tensor by tensor into the graph's own storage: a packed base takes the file's
 * bfloat16 bytes as they are (or encodes float32 rows as PackedMatrix.of does), shards change
 * nothing, and best/ is written back a block of rows at a time with the adapters merged, equal to
 * mergedWeights() rounded to the checkpoint's dtype.
 */
class StreamingLoadTest {
    @TempDir
    Path tmp;

    private static INDArray logits(CausalLM model) {
        INDArray ids = Nd4j.createFromArray(new long[][]{{3, 17, 5, 9, 11, 2}, {4, 8, 15, 16, 23, 42}});
        INDArray mask = Nd4j.createFromArray(new long[][]{{1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0}});
        return model.forward(ids, mask);
    }

    private static GraphOptions packed(BaseDType dtype) {
        return GraphOptions.PLAIN.withBaseDtype(dtype);
    }

    /** The bytes a safetensors file stores for {@code key}, read straight from the file. */
    private static ByteBuffer fileBytes(Path file, String key) throws IOException {
        SafeTensors.Entry e = SafeTensors.header(file).get(key);
        ByteBuffer b = ByteBuffer.allocate((int) (e.end() - e.begin()));
        try (FileChannel ch = FileChannel.open(file)) {
            while (b.hasRemaining()) ch.read(b, e.begin() + b.position());
        }
        return b.flip();
    }

    private static INDArray bf16(INDArray w) {
        float[] v = w.castTo(DataType.FLOAT).dup('c').data().asFloat();
        for (int i = 0; i < v.length; i++) v[i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(v[i]));
        return Nd4j.create(v, w.shape(), 'c');
    }

    @Test
    void aBf16CheckpointLoadsIntoPackedRowsByteForByte() throws IOException {
        Path fixture = Fixtures.model("stories260k");
        CausalLM base = Models.load(fixture).model();
        Path dir = checkpointFolder(fixture, stateDict(base, false), 1, "BF16", tmp.resolve("bf16"));
        Path file = dir.resolve(SafetensorsCheckpoint.SINGLE);

        CausalLM packed = Models.load(dir, packed(BaseDType.BFLOAT16)).model();
        assertFalse(packed.frozenWeights().isEmpty(), "the projections are packed");
        for (FrozenWeight w : packed.frozenWeights().values()) {
            assertFalse(packed.params().containsKey(w.name()), w.name() + " is no float32 parameter");
            assertEquals(fileBytes(file, w.name()), w.matrix().raw(), w.name() + ": the file's bytes, exactly");
        }
        // the float32 graph on the same (bfloat16) values: the packed product agrees within summation order
        CausalLM float32 = Models.load(dir).model();
        double diff = logits(packed).sub(logits(float32)).amaxNumber().doubleValue();
        System.out.printf("[stream] stories260k bf16 packed vs float32 graph: max |Δlogit| %.2e%n", diff);
        assertTrue(diff <= 1e-5, "packed bf16 logits vs the float32 graph: " + diff);
        for (var e : float32.params().entrySet()) {
            if (packed.params().containsKey(e.getKey())) {
                assertEquals(e.getValue().getArr(), packed.params().get(e.getKey()).getArr(), e.getKey() + ": float32 parameters filled in place alike");
            }
        }
        assertEquals("BF16", Models.checkpointDtype(dir), "auto resolves from the headers");
        assertEquals(null, Models.checkpointDtype(fixture), "an ONNX export is float32");
    }

    @Test
    void shardsLoadAsOneFile() throws IOException {
        Path fixture = Fixtures.model("stories260k");
        Map<String, INDArray> sd = stateDict(Models.load(fixture).model(), false);
        CausalLM one = Models.load(checkpointFolder(fixture, sd, 1, "BF16", tmp.resolve("one")), packed(BaseDType.BFLOAT16)).model();
        CausalLM three = Models.load(checkpointFolder(fixture, sd, 3, "BF16", tmp.resolve("three")), packed(BaseDType.BFLOAT16)).model();
        for (FrozenWeight w : one.frozenWeights().values()) {
            assertEquals(w.matrix().raw(), three.frozenWeights().get(w.name()).matrix().raw(), w.name());
        }
        assertEquals(0, logits(one).sub(logits(three)).amaxNumber().doubleValue(), 0, "the same logits from 3 shards");
        assertEquals("BF16", Models.checkpointDtype(tmp.resolve("three")));
    }

    @Test
    void float32RowsAreEncodedAsPackedMatrixOfDoes() throws IOException {
        Path fixture = Fixtures.model("stories260k");
        CausalLM base = Models.load(fixture).model();
        Path dir = checkpointFolder(fixture, stateDict(base, false), 2, "F32", tmp.resolve("f32"));
        Map<String, INDArray> weights = base.weights();
        for (BaseDType dtype : List.of(BaseDType.BFLOAT16, BaseDType.Q8_0)) {
            CausalLM packed = Models.load(dir, packed(dtype)).model();
            for (FrozenWeight w : packed.frozenWeights().values()) {
                assertEquals(PackedMatrix.of(weights.get(w.name()), dtype).raw(), w.matrix().raw(), dtype.flag() + " " + w.name());
            }
        }
        // and a bfloat16 file quantised to Q8_0 row by row: as from its float values
        Path bf16 = checkpointFolder(fixture, stateDict(base, false), 1, "BF16", tmp.resolve("bf16"));
        CausalLM q8 = Models.load(bf16, packed(BaseDType.Q8_0)).model();
        for (FrozenWeight w : q8.frozenWeights().values()) {
            assertEquals(PackedMatrix.of(bf16(weights.get(w.name())), BaseDType.Q8_0).raw(), w.matrix().raw(), "BF16 → q8_0 " + w.name());
        }
    }

    @Test
    void onnxExternalDataStreamsAsTheWholeFileReaderReadsIt() {
        Path fixture = Fixtures.model("tiny-opt");
        assertTrue(java.nio.file.Files.exists(fixture.resolve("model.onnx_data")), "the fixture keeps its weights in external data");
        var old = dev.emo.onnx.OnnxWeights.read(fixture.resolve("model.onnx")).params();
        CausalLM streamed = Models.load(fixture).model();
        Map<String, INDArray> weights = streamed.weights();
        assertTrue(old.keySet().containsAll(weights.keySet()), "no parameter the old reader lacks");
        for (var e : weights.entrySet()) assertEquals(old.get(e.getKey()).value(), e.getValue(), e.getKey() + " equals the whole-file reader's");
        CausalLM packed = Models.load(fixture, packed(BaseDType.BFLOAT16)).model();
        assertFalse(packed.frozenWeights().isEmpty());
        for (FrozenWeight w : packed.frozenWeights().values()) {   // OPT's projections are stored transposed for MatMul
            assertEquals(PackedMatrix.of(old.get(w.name()).value(), BaseDType.BFLOAT16).raw(), w.matrix().raw(), w.name());
        }
    }

    /** A LoRA model on a packed base with adapters that count (B non-zero). */
    private static CausalLM lora(Path dir, BaseDType dtype, List<String> targets) {
        CausalLM model = Models.load(dir, new GraphOptions(false, new LoraSpec(4, 8, 0, targets), dtype)).model();
        Nd4j.getRandom().setSeed(7);
        model.loraParams().values().forEach(v -> v.setArray(Nd4j.randn(DataType.FLOAT, v.getArr().shape()).muli(0.05)));
        return model;
    }

    @Test
    void bestIsWrittenRowByRowAsTheMergedWeightsRounded() throws IOException {
        Path fixture = Fixtures.model("stories260k");
        Path dir = checkpointFolder(fixture, stateDict(Models.load(fixture).model(), false), 1, "BF16", tmp.resolve("bf16"));
        Path input = dir.resolve(SafetensorsCheckpoint.SINGLE);
        for (BaseDType dtype : List.of(BaseDType.BFLOAT16, BaseDType.Q8_0)) {
            CausalLM model = lora(dir, dtype, List.of("q_proj", "v_proj", "down_proj"));
            Path out = tmp.resolve("best-" + dtype.flag());
            SafetensorsCheckpoint.open(dir, ModelFamilies.of(model.config())).source().writeMerged(model, dir, out);

            Path written = out.resolve(SafetensorsCheckpoint.SINGLE);
            assertEquals(List.copyOf(SafeTensors.header(input).keySet()), List.copyOf(SafeTensors.header(written).keySet()), "the checkpoint's keys, in its order");
            Map<String, INDArray> back = SafeTensors.read(written);
            Map<String, INDArray> merged = model.mergedWeights();
            for (var e : merged.entrySet()) {
                assertEquals("BF16", SafeTensors.header(written).get(e.getKey()).dtype(), e.getKey());
                assertEquals(bf16(e.getValue()), back.get(e.getKey()), dtype.flag() + " " + e.getKey() + ": bf16(W + (α/r)·B·A)");
            }
            String q = "model.layers.0.self_attn.q_proj.weight";
            INDArray delta = merged.get(q).sub(model.frozenWeights().get(q).matrix().toFloat());
            assertTrue(delta.amaxNumber().doubleValue() > 1e-3, "the adapters are in (" + delta.amaxNumber() + ")");
        }
        CausalLM model = lora(dir, BaseDType.BFLOAT16, List.of("q_proj"));
        Path out = tmp.resolve("best-k");
        SafetensorsCheckpoint.open(dir, ModelFamilies.of(model.config())).source().writeMerged(model, dir, out);
        String k = "model.layers.0.self_attn.k_proj.weight";
        assertEquals(fileBytes(input, k), fileBytes(out.resolve(SafetensorsCheckpoint.SINGLE), k), "a projection no adapter touches is copied byte for byte");
    }

    @Test
    void conv1dWeightsTakeTheTransposedProduct() throws IOException {
        // GPT-2 stores [in, out]: its rows take the columns of B·A. c_attn is not square, so mergedWeights tells the layouts apart there
        Path fixture = Fixtures.model("tiny-gpt2");
        Map<String, INDArray> sd = stateDict(Models.load(fixture).model(), false);
        Path dir = checkpointFolder(fixture, sd, 1, "BF16", tmp.resolve("gpt2"));
        for (BaseDType dtype : List.of(BaseDType.BFLOAT16, BaseDType.FLOAT32)) {
            CausalLM model = lora(dir, dtype, List.of("c_attn"));
            Path out = tmp.resolve("best-" + dtype.flag());
            SafetensorsCheckpoint.open(dir, ModelFamilies.of(model.config())).source().writeMerged(model, dir, out);
            Map<String, INDArray> back = SafeTensors.read(out.resolve(SafetensorsCheckpoint.SINGLE));
            for (var e : model.mergedWeights().entrySet()) assertEquals(bf16(e.getValue()), back.get(e.getKey()), dtype.flag() + " " + e.getKey());
        }
        // attn.c_proj is square: the layout comes from the family (fan_in_fan_out), and the merged model computes what the adapters do
        Path f32 = checkpointFolder(fixture, sd, 1, "F32", tmp.resolve("gpt2-f32"));
        for (BaseDType dtype : List.of(BaseDType.BFLOAT16, BaseDType.FLOAT32)) {
            CausalLM model = lora(f32, dtype, List.of("c_attn", "c_proj"));
            Path out = tmp.resolve("best-square-" + dtype.flag());
            SafetensorsCheckpoint.open(f32, ModelFamilies.of(model.config())).source().writeMerged(model, f32, out);
            double diff = logits(Models.load(out).model()).sub(logits(model)).amaxNumber().doubleValue();
            assertTrue(diff < 1e-5, dtype.flag() + ": merged best/ vs the model with its adapters, max |Δlogit| " + diff);
        }
    }

    @Test
    void nanInAStreamedTensorIsOneLineNamingIt() throws IOException {
        Path fixture = Fixtures.model("stories260k");
        Map<String, INDArray> sd = new LinkedHashMap<>(stateDict(Models.load(fixture).model(), false));
        sd.get("model.layers.1.mlp.up_proj.weight").putScalar(3, Float.NaN);
        Path dir = checkpointFolder(fixture, sd, 1, "BF16", tmp.resolve("nan"));
        for (BaseDType dtype : List.of(BaseDType.BFLOAT16, BaseDType.FLOAT32, BaseDType.Q8_0)) {
            String m = assertThrows(UserError.class, () -> Models.load(dir, packed(dtype))).getMessage();
            assertTrue(m.contains("model.layers.1.mlp.up_proj.weight holds NaN or infinite values") && !m.contains("\n"), dtype.flag() + ": " + m);
        }
    }

    @Test
    void aTiedHeadCopyMustEqualTheEmbedding() throws IOException {
        Path fixture = Fixtures.model("stories260k");
        Map<String, INDArray> sd = new LinkedHashMap<>(stateDict(Models.load(fixture).model(), false));
        sd.put("lm_head.weight", sd.get("model.embed_tokens.weight").dup());
        Models.load(checkpointFolder(fixture, sd, 1, "F32", tmp.resolve("tied")));   // an exact copy loads
        sd.get("lm_head.weight").putScalar(5, 1f);
        String m = assertThrows(UserError.class, () -> Models.load(checkpointFolder(fixture, sd, 1, "F32", tmp.resolve("untied")))).getMessage();
        assertTrue(m.contains("lm_head.weight differs from the tied embedding"), m);
    }

    @Test
    void namesAreCheckedBeforeAnyValueIsRead() throws IOException {
        Path fixture = Fixtures.model("stories260k");
        Map<String, INDArray> sd = new LinkedHashMap<>(stateDict(Models.load(fixture).model(), false));
        sd.get("model.embed_tokens.weight").putScalar(0, Float.NaN);   // first in the file: read first, were values read before names were checked
        sd.remove("model.norm.weight");
        Path dir = checkpointFolder(fixture, sd, 1, "BF16", tmp.resolve("missing"));
        String m = assertThrows(UserError.class, () -> Models.load(dir, packed(BaseDType.BFLOAT16))).getMessage();
        assertTrue(m.contains("no initializer for parameter(s) [model.norm.weight]"), m);
        sd.put("model.extra.weight", Nd4j.ones(DataType.FLOAT, 2, 2));
        Path extra = checkpointFolder(fixture, sd, 1, "BF16", tmp.resolve("extra"));
        m = assertThrows(UserError.class, () -> Models.load(extra)).getMessage();
        assertTrue(m.contains("[model.extra.weight] map to no parameter"), m);
    }
}

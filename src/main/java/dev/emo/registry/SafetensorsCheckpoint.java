package dev.emo.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.UserError;
import dev.emo.models.CausalLM;
import dev.emo.models.ModelFamily;
import dev.emo.onnx.ModelFolderWriter;
import dev.emo.safetensors.SafeTensors;
import dev.emo.safetensors.SafeTensorsWriter;
import dev.emo.weights.StoredTensor;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face checkpoint folder: config.json, the tokenizer files, and {@code model.safetensors}
 * or shards listed in {@code model.safetensors.index.json}. Keys are the state dict's names; the
 * family maps them to parameter names (GPT-2 checkpoints saved from the base model lack the
 * "transformer." prefix; buffers such as attn.bias are not parameters). Tuned weights are written
 * back as one model.safetensors under the keys they were read from, each in the dtype it was read
 * in (a bfloat16 checkpoint comes back bfloat16, as save_pretrained keeps a model's dtype).
 */
public final class SafetensorsCheckpoint implements ModelSource {
    public static final String SINGLE = "model.safetensors", INDEX = "model.safetensors.index.json";

    private final Path file;
    private final Map<String, String> keyOf;   // parameter name → the checkpoint's key
    private final Map<String, String> dtypeOf; // the checkpoint's key → its dtype as read (F32, BF16, F16; F64 written as F32)

    private SafetensorsCheckpoint(Path file, Map<String, String> keyOf, Map<String, String> dtypeOf) {
        this.file = file;
        this.keyOf = keyOf;
        this.dtypeOf = dtypeOf;
    }

    public static boolean present(Path dir) {
        return Files.isRegularFile(dir.resolve(SINGLE)) || Files.isRegularFile(dir.resolve(INDEX));
    }

    /** A checkpoint's tensors, named by parameter and not yet read, and the source to write tuned weights back with. */
    public record Opened(SafetensorsCheckpoint source, List<StoredTensor> tensors) {}

    /**
     * The checkpoint's headers (every shard's): its parameters as tensors read on demand, so
     * {@link CausalLM#loadWeights(List, Path)} fills the model one tensor at a time. A key in two shards
     * or two keys mapping to one parameter are one-line errors here, before any value is read.
     */
    public static Opened open(Path dir, ModelFamily family) {
        Path file = Files.isRegularFile(dir.resolve(SINGLE)) ? dir.resolve(SINGLE) : dir.resolve(INDEX);
        Map<String, StoredTensor> byKey = new LinkedHashMap<>();
        for (Path shard : file.endsWith(INDEX) ? shards(file) : Set.of(file)) {
            for (StoredTensor t : SafeTensors.tensors(shard)) {
                if (byKey.put(t.name(), t) != null) {
                    throw UserError.of(shard, "tensor '" + t.name() + "' is also in another shard", "re-save the checkpoint");
                }
            }
        }
        List<StoredTensor> tensors = new ArrayList<>();
        Map<String, String> keyOf = new LinkedHashMap<>(), dtypeOf = new LinkedHashMap<>();
        for (StoredTensor t : byKey.values()) {
            dtypeOf.put(t.name(), SafeTensors.WRITABLE.contains(t.dtype()) ? t.dtype() : "F32");   // F64 is written back as F32
            String name = family.parameterName(t.name());
            if (name == null) continue;                       // a buffer, not a parameter
            if (keyOf.put(name, t.name()) != null) {
                throw UserError.of(file, "two tensors map to parameter '" + name + "'", "re-save the checkpoint with save_pretrained");
            }
            tensors.add(t.named(name));
        }
        return new Opened(new SafetensorsCheckpoint(file, keyOf, dtypeOf), tensors);
    }

    /**
     * The float type holding most of the checkpoint's matrix values (F32, BF16 or F16, as safetensors
     * names them), from the headers alone: what {@code BaseDType.auto} needs before the graph is built.
     */
    public static String dominantDtype(Path dir) {
        Path file = Files.isRegularFile(dir.resolve(SINGLE)) ? dir.resolve(SINGLE) : dir.resolve(INDEX);
        Map<String, Long> values = new LinkedHashMap<>();
        for (Path shard : file.endsWith(INDEX) ? shards(file) : Set.of(file)) {
            SafeTensors.header(shard).values().stream().filter(e -> e.shape().length == 2 && SafeTensors.WRITABLE.contains(e.dtype()))
                    .forEach(e -> values.merge(e.dtype(), e.shape()[0] * e.shape()[1], Long::sum));
        }
        return values.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse("F32");
    }

    /** The shard files an index names, each checked to exist inside the folder. */
    private static Set<Path> shards(Path index) {
        JsonNode map;
        try {
            map = new ObjectMapper().readTree(index.toFile()).path("weight_map");
        } catch (IOException e) {
            throw UserError.of(index, "is not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")", "re-save the checkpoint");
        }
        if (!map.isObject() || map.isEmpty()) throw UserError.of(index, "has no weight_map", "re-save the checkpoint with save_pretrained");
        Set<Path> shards = new LinkedHashSet<>();
        Path dir = index.getParent().toAbsolutePath().normalize();
        map.fields().forEachRemaining(e -> {
            Path shard = dir.resolve(e.getValue().asText()).normalize();
            if (!shard.startsWith(dir) || !Files.isRegularFile(shard)) {
                throw UserError.of(index, "names shard '" + e.getValue().asText() + "', which is not a file in the folder", "download every shard");
            }
            shards.add(shard);
        });
        return shards;
    }

    @Override
    public Path file() {
        return file;
    }

    @Override
    public String format() {
        return "safetensors";
    }

    @Override
    public void writeFolder(CausalLM model, Map<String, INDArray> weights, Path inputDir, Path outDir) {
        ModelFolderWriter.copySideFiles(inputDir, outDir);
        try {
            Map<String, INDArray> out = new LinkedHashMap<>();
            weights.forEach((name, w) -> out.put(keyOf.getOrDefault(name, name), w));
            SafeTensors.write(outDir.resolve(SINGLE), out, dtypeOf, Map.of("format", "pt"));
        } catch (IOException e) {
            throw UserError.of(outDir, "cannot be written (" + e.getMessage() + ")", "check free disk space and permissions");
        }
    }

    /**
     * best/ with the adapters merged, streamed: {@link #writeFolder} with {@code model.mergedWeights()}
     * (the same keys, order of the checkpoint, each tensor in the dtype it was read in), but written a
     * block of rows at a time from the model's own storage ({@link MergedRows}), so a packed base is
     * never inflated to float32: peak memory stays the model's plus a few MB.
     */
    @Override
    public void writeMerged(CausalLM model, Path inputDir, Path outDir) {
        ModelFolderWriter.copySideFiles(inputDir, outDir);
        List<String> weights = allWeights(model), names = new ArrayList<>(keyOf.keySet());   // the checkpoint's order
        names.retainAll(weights);                                 // less a tied head's copy, which is no parameter
        for (String name : weights) if (!names.contains(name)) names.add(name);
        List<SafeTensorsWriter.Spec> specs = new ArrayList<>();
        for (String name : names) {
            String key = keyOf.getOrDefault(name, name);
            var frozen = model.frozenWeights().get(name);
            long[] shape = frozen != null ? frozen.shape() : model.params().get(name).getArr().shape();
            specs.add(new SafeTensorsWriter.Spec(key, dtypeOf.getOrDefault(key, "F32"), shape));
        }
        try (SafeTensorsWriter out = new SafeTensorsWriter(outDir.resolve(SINGLE), specs, Map.of("format", "pt"))) {
            MergedRows rows = new MergedRows(model);
            for (String name : names) rows.write(name, out);
            out.commit();
        } catch (IOException e) {
            throw UserError.of(outDir, "cannot be written (" + e.getMessage() + ")", "check free disk space and permissions");
        }
    }

    /** The model's weights by name: its float32 parameters and its packed projections. */
    private static List<String> allWeights(CausalLM model) {
        List<String> all = new ArrayList<>(model.params().keySet());
        all.addAll(model.frozenWeights().keySet());
        return all;
    }
}

package dev.emo.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.UserError;
import dev.emo.models.CausalLM;
import dev.emo.models.ModelFamily;
import dev.emo.onnx.ModelFolderWriter;
import dev.emo.safetensors.SafeTensors;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
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

    /** The checkpoint's weights by parameter name (float32) and the source to write them back with. */
    public static Map.Entry<SafetensorsCheckpoint, Map<String, INDArray>> read(Path dir, ModelFamily family) {
        Path index = dir.resolve(INDEX), single = dir.resolve(SINGLE);
        Map<String, INDArray> byKey = new LinkedHashMap<>();
        Map<String, String> dtypeOf = new LinkedHashMap<>();
        Path file;
        if (Files.isRegularFile(single)) {
            file = single;
            byKey.putAll(SafeTensors.read(single));
            SafeTensors.header(single).forEach((k, e) -> dtypeOf.put(k, e.dtype()));
        } else {
            file = index;
            for (Path shard : shards(index)) {
                SafeTensors.header(shard).forEach((k, e) -> dtypeOf.put(k, e.dtype()));
                for (var e : SafeTensors.read(shard).entrySet()) {
                    if (byKey.put(e.getKey(), e.getValue()) != null) {
                        throw UserError.of(shard, "tensor '" + e.getKey() + "' is also in another shard", "re-save the checkpoint");
                    }
                }
            }
        }
        Map<String, INDArray> weights = new LinkedHashMap<>();
        Map<String, String> keyOf = new LinkedHashMap<>();
        for (var e : byKey.entrySet()) {
            String name = family.parameterName(e.getKey());
            if (name == null) continue;                       // a buffer, not a parameter
            if (weights.put(name, e.getValue()) != null) {
                throw UserError.of(file, "two tensors map to parameter '" + name + "'", "re-save the checkpoint with save_pretrained");
            }
            keyOf.put(name, e.getKey());
        }
        dtypeOf.replaceAll((k, dtype) -> SafeTensors.WRITABLE.contains(dtype) ? dtype : "F32");
        return Map.entry(new SafetensorsCheckpoint(file, keyOf, dtypeOf), weights);
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
}

package dev.emo;

import org.junit.jupiter.api.Assumptions;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Test access to the fixture root ({@link SharedData}); skips, saying what is missing, where it is absent. */
public final class Fixtures {
    private Fixtures() {}

    /** Model folders that hold {@code reference/<file>}; skips the test if there are none. */
    public static List<Path> modelsWith(String referenceFile) {
        Assumptions.assumeTrue(SharedData.present(), SharedData.missingMessage("fixture root"));
        List<Path> dirs = SharedData.modelDirs().stream()
                .filter(d -> Files.isRegularFile(d.resolve("reference").resolve(referenceFile)))
                .toList();
        Assumptions.assumeFalse(dirs.isEmpty(), SharedData.missingMessage("models/*/reference/" + referenceFile));
        return dirs;
    }

    /** Every model folder (with a config.json); skips the test if there is none. */
    public static List<Path> allModels() {
        Assumptions.assumeTrue(SharedData.present(), SharedData.missingMessage("fixture root"));
        List<Path> dirs = SharedData.modelDirs().stream().filter(d -> Files.isRegularFile(d.resolve("config.json"))).toList();
        Assumptions.assumeFalse(dirs.isEmpty(), SharedData.missingMessage("models/*/config.json"));
        return dirs;
    }

    public static INDArray npy(Path modelDir, String name) {
        return Nd4j.createFromNpyFile(modelDir.resolve("reference").resolve(name).toFile());
    }

    public static Map<String, INDArray> npz(Path modelDir, String name) {
        try {
            return Nd4j.createFromNpzFile(modelDir.resolve("reference").resolve(name).toFile());
        } catch (Exception e) {
            throw new IllegalStateException(modelDir + "/reference/" + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * A copy of fixture model {@code name} under {@code dir} whose config.json is edited: every other
     * file is a link to the fixture's (nothing large is copied), config.json is rewritten.
     */
    public static Path withConfig(String name, Path dir, java.util.function.Consumer<com.fasterxml.jackson.databind.node.ObjectNode> edit)
            throws java.io.IOException {
        Path src = model(name);
        Files.createDirectories(dir);
        try (var files = Files.list(src)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                if (!f.getFileName().toString().equals("config.json")) Files.createSymbolicLink(dir.resolve(f.getFileName()), f.toAbsolutePath());
            }
        }
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var config = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(src.resolve("config.json").toFile());
        edit.accept(config);
        Files.writeString(dir.resolve("config.json"), json.writeValueAsString(config));
        return dir;
    }

    public static Path model(String name) {
        Path p = SharedData.modelDir(name);
        Assumptions.assumeTrue(Files.isDirectory(p), SharedData.missingMessage("models/" + name));
        return p;
    }

    /**
     * The fixture {@code name} as a Hugging Face checkpoint folder with every tensor stored in bfloat16 (as
     * save_pretrained writes a bfloat16 model): config, tokenizer files and one model.safetensors in {@code out}.
     */
    public static Path bf16Checkpoint(String name, Path out) throws java.io.IOException {
        Path src = model(name);
        Map<String, INDArray> weights = dev.emo.registry.Models.load(src).model().weights();
        Files.createDirectories(out);
        dev.emo.onnx.ModelFolderWriter.copySideFiles(src, out);
        Map<String, String> dtypes = new java.util.LinkedHashMap<>();
        weights.keySet().forEach(k -> dtypes.put(k, "BF16"));
        dev.emo.safetensors.SafeTensors.write(out.resolve("model.safetensors"), weights, dtypes, Map.of("format", "pt"));
        return out;
    }
}

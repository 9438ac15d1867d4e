package dev.emo.models;

import dev.emo.registry.Models;
import dev.emo.Fixtures;
import dev.emo.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each broken model folder fails with one line naming the file and the problem. */
class BadModelInputTest {
    @TempDir
    Path tmp;

    private static String fails(Path dir) {
        UserError e = assertThrows(UserError.class, () -> Models.load(dir));
        String m = e.getMessage();
        assertTrue(!m.contains("\n"), "one line: " + m);
        return m;
    }

    /** A model folder whose model.onnx links to tiny-gpt2's and whose config.json is edited. */
    private Path gpt2With(String from, String to) throws Exception {
        Path src = Fixtures.model("tiny-gpt2");
        Files.createSymbolicLink(tmp.resolve("model.onnx"), src.resolve("model.onnx").toAbsolutePath());
        String cfg = Files.readString(src.resolve("config.json"));
        assertTrue(cfg.contains(from), "fixture config holds " + from);
        Files.writeString(tmp.resolve("config.json"), cfg.replace(from, to));
        return tmp;
    }

    @Test
    void missingOnnx() throws Exception {
        Files.copy(Fixtures.model("tiny-gpt2").resolve("config.json"), tmp.resolve("config.json"));
        String m = fails(tmp);
        assertTrue(m.startsWith(tmp.toString()) && m.contains("no ONNX model"), m);
    }

    @Test
    void corruptOnnx() throws Exception {
        Files.writeString(tmp.resolve("config.json"), Files.readString(Fixtures.model("tiny-gpt2").resolve("config.json")));
        Files.write(tmp.resolve("model.onnx"), new byte[]{1, 2, 3, 4, 5, 6, 7, 8, (byte) 0xff, (byte) 0xff});
        String m = fails(tmp);
        assertTrue(m.contains("model.onnx") && (m.contains("cannot be parsed") || m.contains("not an ONNX model")), m);
    }

    @Test
    void truncatedOnnx() throws Exception {
        Path src = Fixtures.model("tiny-gpt2");
        Files.writeString(tmp.resolve("config.json"), Files.readString(src.resolve("config.json")));
        byte[] all = Files.readAllBytes(src.resolve("model.onnx"));
        Files.write(tmp.resolve("model.onnx"), java.util.Arrays.copyOf(all, all.length / 2));
        String m = fails(tmp);
        assertTrue(m.contains("model.onnx"), m);
    }

    @Test
    void unknownModelType() throws Exception {
        String m = fails(gpt2With("\"gpt2\"", "\"bert\""));
        assertTrue(m.contains("config.json") && m.contains("unknown model_type 'bert'"), m);
    }

    @Test
    void dimensionMismatch() throws Exception {
        String m = fails(gpt2With("\"n_embd\": 64", "\"n_embd\": 32"));
        assertTrue(m.contains("model.onnx") && m.contains("has shape") && m.contains("config.json"), m);
    }

    @Test
    void initializerThatMapsNowhere() throws Exception {
        String m = fails(gpt2With("\"n_layer\": 2", "\"n_layer\": 1"));
        assertTrue(m.contains("transformer.h.1.") && m.contains("map to no parameter"), m);
    }

    @Test
    void missingExternalData() throws Exception {
        Path src = Fixtures.model("tiny-opt");
        Files.createSymbolicLink(tmp.resolve("model.onnx"), src.resolve("model.onnx").toAbsolutePath());
        Files.copy(src.resolve("config.json"), tmp.resolve("config.json"));
        String m = fails(tmp);
        assertTrue(m.contains("model.onnx_data") && m.contains("missing"), m);
    }
}

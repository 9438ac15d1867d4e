package dev.emo.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emo.Fixtures;
import dev.emo.SharedData;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #20's table of config fields that change the math but are not implemented: each is refused
 * by `verify` and `finetune` with one line naming the field and its value, exit 2, before any graph
 * is built, and nothing is written (the output folder is not created).
 */
class RefusedConfigFieldsTest {
    @TempDir
    Path tmp;

    /** One row: the fixture it edits, the edit, and what the one line must say. */
    record Row(String name, String fixture, Consumer<ObjectNode> edit, String... expected) {}

    static List<Row> table() {
        return List.of(
                new Row("yarn", "tiny-llama3", c -> rope(c).put("rope_type", "yarn"),
                        "rope_scaling.rope_type 'yarn' is not supported (supported: llama3, linear)"),
                new Row("longrope", "tiny-llama3", c -> rope(c).put("rope_type", "longrope"), "rope_type 'longrope' is not supported"),
                new Row("dynamic (old key 'type')", "tiny-llama3", c -> {
                    rope(c).remove("rope_type");
                    rope(c).put("type", "dynamic");
                }, "rope_type 'dynamic' is not supported"),
                new Row("v5 rope_parameters yarn", "tiny-qwen3", c -> c.putObject("rope_parameters").put("rope_type", "yarn")
                        .put("rope_theta", 1e6).put("factor", 4.0), "rope_parameters.rope_type 'yarn' is not supported"),
                new Row("partial rotary", "tiny-qwen2", c -> c.put("partial_rotary_factor", 0.5), "partial_rotary_factor 0.5 is not supported"),
                new Row("qwen2 sliding window", "tiny-qwen2", c -> c.put("use_sliding_window", true), "use_sliding_window true is not supported"),
                new Row("qwen3 sliding layers", "tiny-qwen3", c -> c.putArray("layer_types").add("sliding_attention").add("full_attention"),
                        "layer_types holds 'sliding_attention'"),
                new Row("final soft-capping", "tiny-mistral", c -> c.put("final_logit_softcapping", 30.0),
                        "final_logit_softcapping 30.0 is not supported"),
                new Row("attention soft-capping", "tiny-llama3", c -> c.put("attn_logit_softcapping", 50.0),
                        "attn_logit_softcapping 50.0 is not supported"),
                new Row("gelu", "tiny-mistral", c -> c.put("hidden_act", "gelu_pytorch_tanh"), "hidden_act 'gelu_pytorch_tanh' is not supported"),
                new Row("llama3 without its factors", "tiny-llama3", c -> rope(c).remove("low_freq_factor"),
                        "rope_scaling.low_freq_factor is missing"),
                new Row("odd head_dim", "tiny-qwen3", c -> c.put("head_dim", 11), "head_dim 11 is odd"),
                new Row("zero window", "tiny-mistral", c -> c.put("sliding_window", 0), "sliding_window is 0"),
                new Row("gemma2", "tiny-llama3", c -> c.put("model_type", "gemma2"),
                        "unknown model_type 'gemma2'", "supported: gpt2, opt, llama, qwen2, qwen3, mistral"),
                new Row("phi3", "tiny-qwen2", c -> c.put("model_type", "phi3"), "unknown model_type 'phi3'"),
                new Row("gpt2 layer-scaled attention", "tiny-gpt2", c -> c.put("scale_attn_by_inverse_layer_idx", true),
                        "scale_attn_by_inverse_layer_idx"),
                new Row("opt without biases", "tiny-opt", c -> c.put("enable_bias", false), "enable_bias false is not supported"));
    }

    private static ObjectNode rope(ObjectNode config) {
        return (ObjectNode) config.get("rope_scaling");
    }

    @TestFactory
    Stream<DynamicTest> eachRefusedFieldIsOneLineAndWritesNothing() {
        Fixtures.model("tiny-llama3");   // skips, saying where, without ../shared/families
        return table().stream().map(row -> DynamicTest.dynamicTest(row.name(), () -> check(row)));
    }

    private void check(Row row) throws IOException {
        Path model = Fixtures.withConfig(row.fixture(), tmp.resolve(row.name().replaceAll("\\W+", "-")), row.edit());
        Path work = Files.createDirectories(tmp.resolve("work")), out = work.resolve("out-" + row.name().replaceAll("\\W+", "-"));
        String train = SharedData.data().resolve("ptb/ptb.train.txt").toString();
        for (String[] command : List.of(new String[] {"verify", "--model", model.toString()},
                new String[] {"finetune", "--model", model.toString(), "--train_file", train, "--output_dir", out.toString()})) {
            String line = CliRun.refused(work, command);   // the model folder holds links to the fixture: not hashed
            assertTrue(line.contains(model.resolve("config.json").toString()), command[0] + " names the file: " + line);
            for (String part : row.expected()) assertTrue(line.contains(part), command[0] + ": '" + part + "' in: " + line);
            assertTrue(!Files.exists(out), "no output folder");
        }
    }
}

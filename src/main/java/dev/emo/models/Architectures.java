package dev.emo.models;

import dev.emo.UserError;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.List;

/** Named reference configurations (published sizes) for benchmarks, built with random weights. */
public final class Architectures {
    public static final List<String> NAMES = List.of("gpt2-small", "gpt2-medium", "opt-125m", "opt-350m", "llama-tiny");

    private Architectures() {}

    public static ModelConfig config(String name) {
        Path none = Path.of("<" + name + ">");
        return switch (name) {
            case "gpt2-small" -> new ModelConfig(none, "gpt2", 50257, 768, 12, 12, 12, 3072, 1024, 1e-5,
                    "gelu_new", true, true, 768, 0, 50256, 50256, -1);
            case "gpt2-medium" -> new ModelConfig(none, "gpt2", 50257, 1024, 24, 16, 16, 4096, 1024, 1e-5,
                    "gelu_new", true, true, 1024, 0, 50256, 50256, -1);
            case "opt-350m" -> new ModelConfig(none, "opt", 50272, 1024, 24, 16, 16, 4096, 2048, 1e-5,   // post-LN, 512-wide embeddings
                    "relu", true, false, 512, 0, 2, 2, 1);
            case "opt-125m" -> new ModelConfig(none, "opt", 50272, 768, 12, 12, 12, 3072, 2048, 1e-5,
                    "relu", true, true, 768, 0, 2, 2, 1);
            case "llama-tiny" -> new ModelConfig(none, "llama", 32000, 512, 8, 8, 4, 1376, 2048, 1e-5,
                    "silu", true, true, 512, 10000, 1, 2, -1);
            default -> throw new UserError("unknown architecture '" + name + "'; known: " + NAMES);
        };
    }

    /** The graph with N(0, 0.02) weights and unit norm gains, as HF initialises these models. */
    public static CausalLM randomModel(String name, long seed) {
        CausalLM model = Models.build(config(name));
        Nd4j.getRandom().setSeed(seed);
        for (var e : model.params().entrySet()) {
            SDVariable v = e.getValue();
            long[] shape = v.getArr().shape();
            boolean gain = shape.length == 1 && (e.getKey().endsWith("norm.weight") || e.getKey().contains("ln_")
                    || e.getKey().endsWith("layernorm.weight") || e.getKey().endsWith("layer_norm.weight"));
            if (gain) v.setArray(Nd4j.ones(DataType.FLOAT, shape));
            else if (shape.length == 1) v.setArray(Nd4j.zeros(DataType.FLOAT, shape));
            else v.setArray(Nd4j.randn(DataType.FLOAT, shape).muli(0.02));
        }
        return model;
    }
}

package dev.emo.registry;

import dev.emo.UserError;
import dev.emo.models.CausalLM;
import dev.emo.models.ModelConfig;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

/** Named reference configurations (published sizes) for benchmarks, built with random weights. */
public final class Architectures {
    /** Every family's published sizes, by name. */
    public static List<String> names() {
        return ModelFamilies.ALL.stream().flatMap(f -> f.referenceSizes().keySet().stream()).sorted().toList();
    }

    private Architectures() {}

    public static ModelConfig config(String name) {
        for (var family : ModelFamilies.ALL) {
            ModelConfig c = family.referenceSizes().get(name);
            if (c != null) return c;
        }
        throw new UserError("unknown architecture '" + name + "'; known: " + names());
    }

    /** The graph with N(0, 0.02) weights and unit norm gains, as HF initialises these models. */
    public static CausalLM randomModel(String name, long seed) {
        return randomModel(name, seed, dev.emo.models.GraphOptions.PLAIN);
    }

    /** With LoRA options: random adapters too (A as PEFT initialises it, B small and non-zero, so the adapters count). */
    public static CausalLM randomModel(String name, long seed, dev.emo.models.GraphOptions options) {
        ModelConfig config = config(name);
        var family = ModelFamilies.of(config);
        CausalLM model = Models.build(config, options);
        Nd4j.getRandom().setSeed(seed);
        for (var e : model.params().entrySet()) {
            SDVariable v = e.getValue();
            long[] shape = v.getArr().shape();
            boolean gain = shape.length == 1 && family.isNorm(e.getKey()) && e.getKey().endsWith(".weight");
            if (gain) v.setArray(Nd4j.ones(DataType.FLOAT, shape));
            else if (shape.length == 1) v.setArray(Nd4j.zeros(DataType.FLOAT, shape));
            else v.setArray(Nd4j.randn(DataType.FLOAT, shape).muli(0.02));
        }
        if (model.lora() != null) {
            model.initLora(new java.util.Random(seed));
            model.loraParams().forEach((k, v) -> {
                if (k.endsWith(".lora_B.weight")) v.setArray(Nd4j.randn(DataType.FLOAT, v.getArr().shape()).muli(0.02));
            });
        }
        return model;
    }
}

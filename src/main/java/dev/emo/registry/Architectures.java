package dev.emo.registry;

import dev.emo.UserError;
import dev.emo.models.CausalLM;
import dev.emo.models.ModelConfig;
import dev.emo.lowbit.FrozenWeight;
import dev.emo.lowbit.PackedMatrix;
import org.nd4j.linalg.api.ndarray.INDArray;
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

    /**
     * With LoRA options: random adapters too (A as PEFT initialises it, B small and non-zero, so the adapters count).
     * With a packed base ({@code options.baseDtype()}), each projection weight is generated row by row in its
     * storage type: a 7B model's float32 projections (26 GB) never exist. The float parameters are filled in
     * place, in the arrays the graph was built with, so no second copy of a 0.5 GB embedding is made.
     */
    public static CausalLM randomModel(String name, long seed, dev.emo.models.GraphOptions options) {
        ModelConfig config = config(name);
        var family = ModelFamilies.of(config);
        CausalLM model = Models.build(config, options);
        Nd4j.getRandom().setSeed(seed);
        for (var e : model.params().entrySet()) {
            INDArray arr = e.getValue().getArr();
            boolean gain = arr.rank() == 1 && family.isNorm(e.getKey()) && e.getKey().endsWith(".weight");
            if (gain) arr.assign(1);
            else if (arr.rank() == 1) arr.assign(0);
            else Nd4j.randn(arr).muli(0.02);
        }
        long part = 0;   // each matrix its own seed, in the graph's order (PackedMatrix.random fills its rows in parallel)
        for (FrozenWeight w : model.frozenWeights().values()) {
            w.set(PackedMatrix.random(w.dtype(), w.shape()[0], w.shape()[1], 0.02, seed * 7919 + part++));
        }
        if (model.lora() != null) {
            model.initLora(new java.util.Random(seed));
            model.loraParams().forEach((k, v) -> {
                if (k.endsWith(".lora_B.weight")) Nd4j.randn(v.getArr()).muli(0.02);
            });
        }
        return model;
    }
}

package dev.emo.registry;

import dev.emo.UserError;
import dev.emo.lowbit.BaseDType;
import dev.emo.lowbit.FrozenWeight;
import dev.emo.models.CausalLM;
import dev.emo.models.GraphOptions;
import dev.emo.models.LoraSpec;
import dev.emo.models.ModelConfig;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The parameter shapes of a config's graph, read from the family's own builder rather than restated
 * per family: the graph is built with a one-token vocabulary and a bfloat16 base, so the projections
 * are {@link FrozenWeight}s with shapes but no values, and the float parameters left are the norms,
 * biases, position tables and one-row embedding and head (a few MB even for 13B). The vocabulary's
 * share is then added back: (V − 1) rows of the head's width, once for a tied head and twice untied.
 *
 * @param projections   every Linear/Conv1D weight that {@code --base_dtype} stores, by Hugging Face name, [rows, cols] as stored
 * @param otherFloats   elements of every other parameter (embeddings, head, norms, biases, positions): float32 always
 * @param headElements  elements of the LM head's matrix [V, d'], multiplied per token like a projection
 */
public record ModelShapes(ModelConfig config, Map<String, long[]> projections, long otherFloats, long headElements) {
    /** Builds the probe graph: about a second for 40 layers, the backend's start-up aside. */
    public static ModelShapes of(ModelConfig config) {
        if (!dev.emo.kernels.HostOp.enabled()) {   // without host ops a probe would hold every projection in float32
            throw new UserError("the memory estimate reads the graph's shapes through the CPU backend's host ops, "
                    + "which -Demo.fused=false turns off; run without that property");
        }
        ModelConfig probe = new ModelConfig(config.file(), config.modelType(), 1, config.hiddenSize(), config.numLayers(),
                config.numHeads(), config.numKvHeads(), config.intermediateSize(), config.maxPositions(), config.normEps(),
                config.activation(), config.tieWordEmbeddings(), config.preLayerNorm(), config.wordEmbedProjDim(), config.ropeTheta(),
                config.bosTokenId(), config.eosTokenId(), config.padTokenId())
                .with(config.headDim(), config.ropeScaling(), config.slidingWindow(), config.variant());
        CausalLM model = Models.build(probe, new GraphOptions(false, null, BaseDType.BFLOAT16));
        Map<String, long[]> projections = new LinkedHashMap<>();
        model.frozenWeights().forEach((name, w) -> projections.put(name, w.shape()));
        long floats = 0;
        for (var v : model.params().values()) floats += v.getArr().length();
        long width = model.lmHead().getArr().size(1), moreRows = config.vocabSize() - 1L;
        floats += moreRows * width * (config.tieWordEmbeddings() ? 1 : 2);
        model.releaseBuffers();
        return new ModelShapes(config, java.util.Collections.unmodifiableMap(projections), floats, (long) config.vocabSize() * width);
    }

    /** Elements of all projections. */
    public long projectionElements() {
        return projections.values().stream().mapToLong(s -> s[0] * s[1]).sum();
    }

    /** Every parameter's elements: what full fine-tuning trains. */
    public long parameters() {
        return projectionElements() + otherFloats;
    }

    /** Bytes of the projections as {@code dtype} stores them (float32: 4 per element; Q8_0 with its scales and padding). */
    public long projectionBytes(BaseDType dtype) {
        return projections.values().stream().mapToLong(s -> dtype.packed() ? dtype.bytes(s[0], s[1]) : 4 * s[0] * s[1]).sum();
    }

    /** Elements of the LoRA adapters {@code lora} adds: r·(in + out) per targeted projection (A [r, in], B [out, r]); 0 for null. */
    public long adapterElements(LoraSpec lora) {
        if (lora == null) return 0;
        return projections.entrySet().stream().filter(e -> lora.targets(e.getKey()))
                .mapToLong(e -> (long) lora.r() * (e.getValue()[0] + e.getValue()[1])).sum();
    }

    /** Multiply-adds per token of the base's weight products (projections and the head; embeddings are lookups). */
    public long matmulWeights() {
        return projectionElements() + headElements;
    }
}

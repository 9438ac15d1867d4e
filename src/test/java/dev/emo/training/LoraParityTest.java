package dev.emo.training;

import dev.emo.Fixtures;
import dev.emo.lowbit.BaseDType;
import dev.emo.models.CausalLM;
import dev.emo.models.GraphOptions;
import dev.emo.models.LoraSpec;
import dev.emo.models.ModelFamily;
import dev.emo.objectives.CostEmbedding;
import dev.emo.objectives.FusedLmLoss;
import dev.emo.objectives.Objective;
import dev.emo.registry.ModelFamilies;
import dev.emo.registry.Models;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LoRA on every fixture, with PEFT's default targets for its family: with B = 0 the logits are the
 * base model's exactly; with random A and B they are those of the merged weights W + (α/r)·B·A; and
 * the adapters' gradients are the chain rule through the full-weight gradient G = dL/dW (already
 * checked against PyTorch): dL/dB = (α/r)·G·Aᵀ, dL/dA = (α/r)·Bᵀ·G, for mle and emo.
 */
class LoraParityTest {
    static INDArray[] batch(CausalLM model) {
        int v = model.config().vocabSize();
        long[][] ids = new long[2][12], mask = new long[2][12];
        Random r = new Random(5);
        for (int b = 0; b < 2; b++) {
            for (int t = 0; t < 12; t++) {
                ids[b][t] = r.nextInt(v);
                mask[b][t] = b == 1 && t >= 9 ? 0 : 1;                        // the second row right-padded
            }
        }
        return new INDArray[]{Nd4j.createFromArray(ids), Nd4j.createFromArray(mask)};
    }

    static LoraSpec spec(Path dir) {
        ModelFamily family = ModelFamilies.of(ModelFamilies.config(dir));
        return new LoraSpec(4, 8, 0, family.defaultLoraTargets());            // α/r = 2
    }

    /** Random non-zero A and B (B = 0 would hide the adapters). */
    static void randomAdapters(CausalLM model) {
        Nd4j.getRandom().setSeed(11);
        model.loraParams().values().forEach(p -> p.getArr().assign(Nd4j.randn(DataType.FLOAT, p.getArr().shape()).muli(0.05)));
    }

    /** ‖got − want‖₂ / ‖want‖₂, as GradientParityTest measures gradients against PyTorch. */
    static double relative(INDArray got, INDArray want) {
        return got.sub(want).norm2Number().doubleValue() / Math.max(1e-30, want.norm2Number().doubleValue());
    }

    @TestFactory
    Stream<DynamicTest> adaptersMatchTheMergedWeights() {
        return Fixtures.allModels().stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> {
            CausalLM base = Models.load(dir).model();
            CausalLM lora = Models.load(dir, new GraphOptions(false, spec(dir))).model();
            assertTrue(lora.loraParams().size() >= 2 * lora.config().numLayers(), "adapters on every layer: " + lora.loraParams().keySet());
            INDArray[] b = batch(base);
            lora.initLora(new Random(1));
            assertEquals(0.0, lora.forward(b[0], b[1]).sub(base.forward(b[0], b[1])).amaxNumber().doubleValue(), 0.0,
                    "B = 0: exactly the base model's logits");

            randomAdapters(lora);
            CausalLM merged = Models.build(lora.config(), false);
            merged.loadWeights(lora.mergedWeights(), dir);
            INDArray want = merged.forward(b[0], b[1]);
            double diff = lora.forward(b[0], b[1]).sub(want).amaxNumber().doubleValue();
            double scale = Math.max(1, want.amaxNumber().doubleValue());          // float32: relative to the largest logit
            assertTrue(diff <= 1e-5 * scale, "random A, B: max |Δlogit| vs W + (α/r)·B·A is " + diff + " (largest logit " + scale + ")");
            assertTrue(want.sub(base.forward(b[0], b[1])).amaxNumber().doubleValue() > 1e-3, "the adapters change the logits");
        }));
    }

    /** GPT-2's attn.c_proj is square: its Conv1D layout, not its shape, says B·A is added transposed (it was not, by 0.096 in logits). */
    @org.junit.jupiter.api.Test
    void squareConv1dWeightsMergeTransposed() {
        Path dir = Fixtures.model("tiny-gpt2");
        CausalLM lora = Models.load(dir, new GraphOptions(false, new LoraSpec(4, 8, 0, java.util.List.of("c_attn", "c_proj")))).model();
        randomAdapters(lora);
        CausalLM merged = Models.build(lora.config(), false);
        merged.loadWeights(lora.mergedWeights(), dir);
        INDArray[] b = batch(lora);
        INDArray want = lora.forward(b[0], b[1]);
        double diff = merged.forward(b[0], b[1]).sub(want).amaxNumber().doubleValue();
        assertTrue(diff <= 1e-5 * Math.max(1, want.amaxNumber().doubleValue()), "merged vs adapters on c_attn and c_proj: max |Δlogit| " + diff);
    }

    @TestFactory
    Stream<DynamicTest> adapterGradientsAreTheChainRuleThroughTheWeightGradient() {
        // and on a base kept in bfloat16 (issue #22): merged = its stored values + (α/r)·B·A in a float32 graph
        return Fixtures.allModels().stream().flatMap(dir -> Stream.of("mle", "emo", "mle bfloat16", "emo bfloat16").map(variant ->
                DynamicTest.dynamicTest(dir.getFileName() + " " + variant, () -> {
                    String objective = variant.split(" ")[0];
                    BaseDType base = variant.endsWith("bfloat16") ? BaseDType.BFLOAT16 : BaseDType.FLOAT32;
                    LoraSpec spec = spec(dir);
                    CausalLM lora = Models.load(dir, new GraphOptions(false, spec, base)).model();
                    assertEquals(base.packed(), !lora.frozenWeights().isEmpty(), "the projections are packed where the base is");
                    INDArray cost = CostEmbedding.normalizedCopy(lora.lmHead().getArr());
                    randomAdapters(lora);
                    CausalLM merged = Models.build(lora.config(), false);
                    merged.loadWeights(lora.mergedWeights(), dir);
                    INDArray[] b = batch(lora);
                    int[] targets = FineTuner.targets(b[0], b[1]);
                    FusedLmLoss loss = new FusedLmLoss(Objective.of(objective));

                    Map<String, INDArray> adapterGrads = new GraphTrainer(lora).step(b[0], b[1], targets, loss, cost).grads();
                    Map<String, INDArray> fullGrads = new GraphTrainer(merged).step(b[0], b[1], targets, loss, cost).grads();
                    assertEquals(lora.loraParams().keySet(), adapterGrads.keySet(), "gradients for the adapters only");
                    double s = spec.scale(), worst = 0, diffSq = 0, wantSq = 0;
                    String worstName = "";
                    for (String w : merged.params().keySet()) {
                        var a = lora.loraParams().get(LoraSpec.module(w) + ".lora_A.weight");
                        if (a == null) continue;
                        INDArray bArr = lora.loraParams().get(LoraSpec.module(w) + ".lora_B.weight").getArr();
                        INDArray g = fullGrads.get(w).castTo(DataType.DOUBLE);
                        if (g.size(0) != bArr.size(0)) g = g.transpose();          // GPT-2's Conv1D: [in, out] → [out, in]
                        INDArray wantB = g.mmul(a.getArr().castTo(DataType.DOUBLE).transpose()).muli(s);
                        INDArray wantA = bArr.castTo(DataType.DOUBLE).transpose().mmul(g).muli(s);
                        INDArray gotB = adapterGrads.get(LoraSpec.module(w) + ".lora_B.weight").castTo(DataType.DOUBLE);
                        INDArray gotA = adapterGrads.get(LoraSpec.module(w) + ".lora_A.weight").castTo(DataType.DOUBLE);
                        double eb = relative(gotB, wantB), ea = relative(gotA, wantA);
                        for (INDArray[] pair : new INDArray[][]{{gotA, wantA}, {gotB, wantB}}) {
                            double dn = pair[0].sub(pair[1]).norm2Number().doubleValue(), wn = pair[1].norm2Number().doubleValue();
                            diffSq += dn * dn;
                            wantSq += wn * wn;
                        }
                        if (Math.max(ea, eb) > worst) worstName = w + " (A " + String.format("%.1e", ea) + ", B " + String.format("%.1e", eb) + ")";
                        worst = Math.max(worst, Math.max(ea, eb));
                    }
                    double overall = Math.sqrt(diffSq / wantSq);
                    System.out.printf("[lora-grad] %-22s %-13s relative error %.2e over all adapters; per tensor at most %.2e (%s)%n",
                            dir.getFileName(), variant, overall, worst, worstName);
                    // over all adapters together: a tensor whose gradient is small (layer 0's q_proj in the post-LN
                    // OPT: 1e-4 per tensor) carries float32 noise of both backward passes, not a chain-rule error
                    assertTrue(overall <= 1e-5, "adapter gradients vs the chain rule: relative error " + overall);
                    assertTrue(worst <= 1e-3, "and no tensor far off: " + worstName);
                })));
    }
}

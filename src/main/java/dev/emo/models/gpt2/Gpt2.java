package dev.emo.models.gpt2;

import dev.emo.models.CausalLM;
import dev.emo.models.GraphOptions;
import dev.emo.models.ModelConfig;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

/**
 * GPT-2 (GPT2LMHeadModel): learned positions, pre-LayerNorm blocks, fused QKV, gelu_new, tied head.
 * Conv1D weights are stored [in, out], so its "linear" is x·W, not x·Wᵀ.
 */
public final class Gpt2 extends CausalLM {

    public Gpt2(ModelConfig c, GraphOptions options) {
        super(c, options);
        int d = c.hiddenSize(), ff = c.intermediateSize();
        SDVariable wte = param("transformer.wte.weight", c.vocabSize(), d);
        SDVariable wpe = param("transformer.wpe.weight", c.maxPositions(), d);
        SDVariable positions = sd.placeHolder("position_ids", org.nd4j.linalg.api.buffer.DataType.INT64, -1, -1);

        SDVariable x = sd.gather(wte, inputIds.reshape(-1), 0)                 // [N, d]
                .add(sd.gather(wpe, positions.reshape(-1), 0));
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "transformer.h." + l + ".";
            SDVariable a = layerNorm(x, param(p + "ln_1.weight", d), param(p + "ln_1.bias", d), c.normEps());
            SDVariable qkv = conv1dProjection(a, p + "attn.c_attn", d, 3L * d);
            SDVariable att = attentionOfQkv(qkv, c.numHeads(), c.headDim());
            x = x.add(conv1dProjection(att, p + "attn.c_proj", d, d));

            SDVariable m = layerNorm(x, param(p + "ln_2.weight", d), param(p + "ln_2.bias", d), c.normEps());
            SDVariable h = geluNew(conv1dProjection(m, p + "mlp.c_fc", d, ff));
            x = x.add(conv1dProjection(h, p + "mlp.c_proj", ff, d));
        }
        x = layerNorm(x, param("transformer.ln_f.weight", d), param("transformer.ln_f.bias", d), c.normEps());
        head(x, wte);
    }

    /** gelu_new (tanh approximation): see kernels.GeluNew. SameDiff's gelu is the sigmoid approximation x·σ(1.702x), and its preciseGelu drops the cubic term. */
    private SDVariable geluNew(SDVariable x) {
        return dev.emo.kernels.GeluNew.apply(sd, x);
    }

    /** The export numbers positions 0..T-1 whatever the mask. */
    @Override
    protected INDArray positionIds(INDArray mask) {
        return arangePositions(mask);
    }

    /** generate counts real tokens, so a left-padded prompt starts at position 0. */
    @Override
    protected INDArray generationPositionIds(INDArray mask) {
        return cumsumPositions(mask, false, 0);
    }

    @Override
    protected INDArray lmHeadSource(Map<String, INDArray> w) {
        return w.get("transformer.wte.weight");
    }
}

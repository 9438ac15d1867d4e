package dev.emo.models.opt;

import dev.emo.models.CausalLM;
import dev.emo.models.GraphOptions;
import dev.emo.models.ModelConfig;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

/**
 * OPT (OPTForCausalLM), both layouts: pre-LayerNorm (opt-125m) and post-LayerNorm with
 * project_in/project_out when word_embed_proj_dim ≠ hidden_size (opt-350m). ReLU MLP; learned
 * positions indexed by the attention mask's cumulative sum, offset by 2; q is scaled by hd^-½.
 */
public final class Opt extends CausalLM {
    /** OPT's learned positions start at index 2 (fairseq's padding offset). */
    public static final int POSITION_OFFSET = 2;


    public Opt(ModelConfig c, GraphOptions options) {
        super(c, options);
        int d = c.hiddenSize(), ff = c.intermediateSize(), e = c.wordEmbedProjDim();
        String p0 = "model.decoder.";
        SDVariable embed = param(p0 + "embed_tokens.weight", c.vocabSize(), e);
        SDVariable pos = param(p0 + "embed_positions.weight", c.maxPositions() + POSITION_OFFSET, d);
        SDVariable positions = sd.placeHolder("position_ids", DataType.INT64, -1, -1);

        SDVariable x = sd.gather(embed, inputIds.reshape(-1), 0);               // [N, e]
        if (e != d) x = projection(x, p0 + "project_in", d, e, false);  // [N, d]
        x = x.add(sd.gather(pos, positions.reshape(-1), 0));
        boolean pre = c.preLayerNorm();
        for (int l = 0; l < c.numLayers(); l++) {
            String p = p0 + "layers." + l + ".";
            SDVariable lnAw = param(p + "self_attn_layer_norm.weight", d), lnAb = param(p + "self_attn_layer_norm.bias", d);
            SDVariable a = pre ? layerNorm(x, lnAw, lnAb, c.normEps()) : x;
            SDVariable q = lin(a, p + "self_attn.q_proj", d, d);
            SDVariable k = lin(a, p + "self_attn.k_proj", d, d);
            SDVariable v = lin(a, p + "self_attn.v_proj", d, d);
            // HF scales q by hd^-½ before the product; attention() scales the scores instead (same value)
            x = x.add(lin(attention(q, k, v, c.numHeads(), c.headDim()), p + "self_attn.out_proj", d, d));
            if (!pre) x = layerNorm(x, lnAw, lnAb, c.normEps());

            SDVariable lnFw = param(p + "final_layer_norm.weight", d), lnFb = param(p + "final_layer_norm.bias", d);
            SDVariable m = pre ? layerNorm(x, lnFw, lnFb, c.normEps()) : x;
            x = x.add(lin(sd.nn.relu(lin(m, p + "fc1", ff, d), 0), p + "fc2", d, ff));
            if (!pre) x = layerNorm(x, lnFw, lnFb, c.normEps());
        }
        if (pre) x = layerNorm(x, param(p0 + "final_layer_norm.weight", d), param(p0 + "final_layer_norm.bias", d), c.normEps());
        if (e != d) x = projection(x, p0 + "project_out", e, d, false);
        head(x, embed);
    }

    private SDVariable lin(SDVariable x, String module, int out, int in) {
        return projection(x, module, out, in, true);
    }

    /** HF: positions = cumsum(mask)·mask − 1, looked up at +2; padding gets index 1. */
    @Override
    protected INDArray positionIds(INDArray mask) {
        return cumsumPositions(mask, true, -1).add(POSITION_OFFSET);
    }

    /** Packed rows: transformers' OPT looks position_ids up at +2 too. */
    @Override
    protected INDArray packedPositionIds(INDArray fromZero) {
        return fromZero.add(POSITION_OFFSET);
    }

    @Override
    protected INDArray lmHeadSource(Map<String, INDArray> w) {
        return w.get("model.decoder.embed_tokens.weight");
    }
}

package dev.emo.models.llama;

import dev.emo.models.CausalLM;
import dev.emo.models.GraphOptions;
import dev.emo.models.ModelConfig;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;

/**
 * LLaMA (LlamaForCausalLM) and the families built on its layer: RMSNorm, rotary embeddings in HF's
 * rotate-half layout (frequencies scaled as the config's {@code RopeScaling} says), SwiGLU MLP,
 * grouped-query attention, tied or untied head. The config's {@code LayerVariant} adds what the
 * descendants add: biases on q/k/v (Qwen2) or on every projection (attention_bias, mlp_bias), and
 * RMSNorm over each query and key head (Qwen3); Mistral's sliding window lives in the attention
 * mask ({@code CausalLM}).
 */
public final class Llama extends CausalLM {
    private final SDVariable embed;
    private final SDVariable ropeCos, ropeSin;  // [N, 1, hd], from the position ids
    private final SDVariable rotateHalf;        // [hd, hd]: x·R = cat(−x[hd/2:], x[:hd/2])
    private final SDVariable repeatKv;          // [kvH·hd, H·hd]: copies kv head j to heads j·rep … j·rep+rep−1

    public Llama(ModelConfig c, GraphOptions options) {
        super(c, options);
        int d = c.hiddenSize(), ff = c.intermediateSize(), hd = c.headDim();
        int h = c.numHeads(), kvh = c.numKvHeads();
        embed = param("model.embed_tokens.weight", c.vocabSize(), d);
        ropeCos = sd.placeHolder("rope_cos", DataType.FLOAT, -1, 1, hd);
        ropeSin = sd.placeHolder("rope_sin", DataType.FLOAT, -1, 1, hd);
        rotateHalf = sd.constant("rotate_half", rotateHalfMatrix(hd));
        repeatKv = kvh == h ? null : sd.constant("repeat_kv", repeatKvMatrix(kvh, h / kvh, hd));

        ModelConfig.LayerVariant v = c.variant();
        SDVariable x = sd.gather(embed, inputIds.reshape(-1), 0);              // [N, d]
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".", att = p + "self_attn.", mlp = p + "mlp.";
            SDVariable a = rmsNorm(x, param(p + "input_layernorm.weight", d));
            SDVariable q = proj(a, att + "q_proj", (long) h * hd, d, v.qkvBias());   // [N, H·hd]
            SDVariable k = proj(a, att + "k_proj", (long) kvh * hd, d, v.qkvBias()); // [N, kvH·hd]
            SDVariable val = proj(a, att + "v_proj", (long) kvh * hd, d, v.qkvBias());
            if (v.qkNorm()) {   // Qwen3: RMSNorm over each head's hd features, before the rotation
                q = headNorm(q, param(att + "q_norm.weight", hd), h, hd);
                k = headNorm(k, param(att + "k_norm.weight", hd), kvh, hd);
            }
            q = rope(q, h, hd);
            k = rope(k, kvh, hd);
            if (repeatKv != null) {
                k = sd.mmul(k, repeatKv);
                val = sd.mmul(val, repeatKv);
            }
            x = x.add(proj(attention(q, k, val, h, hd), att + "o_proj", d, (long) h * hd, v.outputBias()));

            SDVariable m = rmsNorm(x, param(p + "post_attention_layernorm.weight", d));
            SDVariable gate = proj(m, mlp + "gate_proj", ff, d, v.mlpBias());
            SDVariable up = proj(m, mlp + "up_proj", ff, d, v.mlpBias());
            SDVariable silu = gate.mul(sd.nn.sigmoid(gate));
            x = x.add(proj(silu.mul(up), mlp + "down_proj", d, ff, v.mlpBias()));
        }
        x = rmsNorm(x, param("model.norm.weight", d));
        head(x, c.tieWordEmbeddings() ? embed : param("lm_head.weight", c.vocabSize(), d));
    }

    /** The Linear layer {@code module} [out, in], with its bias where the family has one. */
    private SDVariable proj(SDVariable x, String module, long out, long in, boolean bias) {
        return projection(x, module, out, in, bias);
    }

    /** x [N, heads·hd] normalised per head: RMSNorm of [N·heads, hd] rows with gain w [hd]. */
    private SDVariable headNorm(SDVariable x, SDVariable w, int heads, int hd) {
        return rmsNorm(x.reshape(-1, hd), w).reshape(-1, (long) heads * hd);
    }

    private SDVariable rmsNorm(SDVariable x, SDVariable w) {
        SDVariable ms = sd.mean(x.mul(x), true, 1);
        return x.div(sd.math.sqrt(ms.add(config.normEps()))).mul(w);
    }

    /** x [N, heads·hd] → x·cos + rotate_half(x)·sin, per head. */
    private SDVariable rope(SDVariable x, int heads, int hd) {
        SDVariable x3 = x.reshape(-1, heads, hd);                                  // [N, heads, hd]
        SDVariable rotated = sd.mmul(x.reshape(-1, hd), rotateHalf).reshape(-1, heads, hd);
        return x3.mul(ropeCos).add(rotated.mul(ropeSin)).reshape(-1, (long) heads * hd);
    }

    static INDArray rotateHalfMatrix(int hd) {
        float[][] r = new float[hd][hd];
        int half = hd / 2;
        for (int j = 0; j < half; j++) {
            r[j + half][j] = -1f;   // out[j] = −x[j + half]
            r[j][j + half] = 1f;    // out[j + half] = x[j]
        }
        return Nd4j.create(r);
    }

    static INDArray repeatKvMatrix(int kvHeads, int rep, int hd) {
        float[][] m = new float[kvHeads * hd][kvHeads * rep * hd];
        for (int j = 0; j < kvHeads; j++)
            for (int r = 0; r < rep; r++)
                for (int i = 0; i < hd; i++) m[j * hd + i][(j * rep + r) * hd + i] = 1f;
        return Nd4j.create(m);
    }

    /**
     * Positions as the export derives them from the mask: clip(cumsum(mask) − 1, 0), so right padding
     * repeats the last real position.
     */
    @Override
    protected INDArray positionIds(INDArray mask) {
        return cumsumPositions(mask, false, 0);
    }

    /** Positions [B, T] as rotary tables cos/sin [N, 1, hd], computed in float32 like HF. */
    @Override
    protected void putPositions(Map<String, INDArray> f, INDArray pos) {
        int n = (int) pos.length(), hd = config.headDim(), half = hd / 2;
        float[] cos = new float[n * hd], sin = new float[n * hd];
        float[] invFreq = config.ropeScaling().inverseFrequencies(config.ropeTheta(), hd);
        long[] flat = pos.reshape(-1).toLongVector();
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) flat[t] * invFreq[i];
                cos[t * hd + i] = cos[t * hd + i + half] = (float) Math.cos(angle);
                sin[t * hd + i] = sin[t * hd + i + half] = (float) Math.sin(angle);
            }
        }
        f.put("rope_cos", Nd4j.create(cos, new long[]{n, 1, hd}, 'c'));
        f.put("rope_sin", Nd4j.create(sin, new long[]{n, 1, hd}, 'c'));
    }

    @Override
    protected INDArray lmHeadSource(Map<String, INDArray> w) {
        return w.get("model.embed_tokens.weight");
    }
}

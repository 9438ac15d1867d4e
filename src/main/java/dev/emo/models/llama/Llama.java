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
 * LLaMA (LlamaForCausalLM): RMSNorm, rotary embeddings in HF's rotate-half layout, SwiGLU MLP,
 * grouped-query attention, tied or untied head, no biases.
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

        SDVariable x = sd.gather(embed, inputIds.reshape(-1), 0);              // [N, d]
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            SDVariable a = rmsNorm(x, param(p + "input_layernorm.weight", d));
            SDVariable q = rope(linear(a, param(p + "self_attn.q_proj.weight", (long) h * hd, d), null), h, hd);
            SDVariable k = rope(linear(a, param(p + "self_attn.k_proj.weight", (long) kvh * hd, d), null), kvh, hd);
            SDVariable v = linear(a, param(p + "self_attn.v_proj.weight", (long) kvh * hd, d), null);
            if (repeatKv != null) {
                k = sd.mmul(k, repeatKv);
                v = sd.mmul(v, repeatKv);
            }
            SDVariable att = attention(q, k, v, h, hd);
            x = x.add(linear(att, param(p + "self_attn.o_proj.weight", d, (long) h * hd), null));

            SDVariable m = rmsNorm(x, param(p + "post_attention_layernorm.weight", d));
            SDVariable gate = linear(m, param(p + "mlp.gate_proj.weight", ff, d), null);
            SDVariable up = linear(m, param(p + "mlp.up_proj.weight", ff, d), null);
            SDVariable silu = gate.mul(sd.nn.sigmoid(gate));
            x = x.add(linear(silu.mul(up), param(p + "mlp.down_proj.weight", d, ff), null));
        }
        x = rmsNorm(x, param("model.norm.weight", d));
        head(x, c.tieWordEmbeddings() ? embed : param("lm_head.weight", c.vocabSize(), d));
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
        float[] invFreq = new float[half];
        for (int i = 0; i < half; i++) invFreq[i] = (float) (1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / hd));
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

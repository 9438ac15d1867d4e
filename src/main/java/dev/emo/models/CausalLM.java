package dev.emo.models;

import dev.emo.UserError;
import dev.emo.execution.FrozenLinear;
import dev.emo.execution.GraphExecutor;
import dev.emo.execution.HostBlas;
import dev.emo.lowbit.FrozenWeight;
import dev.emo.lowbit.PackedMatrix;
import dev.emo.kernels.FusedLayerNorm;
import dev.emo.kernels.Heads;
import dev.emo.kernels.HostOp;
import dev.emo.kernels.MaskedSoftmax;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.array.SingleThreadArrayHolder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A decoder-only Transformer as a SameDiff graph. Subclasses (one per family) declare their
 * parameters under Hugging Face names and wire the blocks; this class owns the placeholders,
 * the output, and weight assignment.
 *
 * <p>Activations inside the graph are 2-D, [N = B·T, width], so every Linear is a plain matmul;
 * only attention reshapes to [B, H, T, hd]. Everything that depends on the batch's padding but not
 * on parameters (position ids, the additive causal+padding mask, rotary cos/sin) is computed on
 * the host by {@link #feeds} and fed as placeholders: it needs no gradient and keeps the graph
 * free of Range/CumSum/Trilu.
 *
 * <p>Built with {@code kvCache}, the same graph also takes each layer's past keys/values
 * ({@code past_key.L}, {@code past_value.L}, [B, H, P, hd]) and outputs them extended by the new
 * tokens ({@code present_key.L}, {@code present_value.L}, [B, H, P+T, hd]), for incremental
 * decoding; P may be 0, so one graph serves the prompt and every later token.
 */
public abstract class CausalLM {
    public static final String INPUT_IDS = "input_ids";
    public static final String ATTN_BIAS = "attn_bias";
    public static final String LOGITS_2D = "logits_2d";
    public static final String FINAL_HIDDEN = "final_hidden";
    public static final String PAST_KEY = "past_key.", PAST_VALUE = "past_value.";
    public static final String PRESENT_KEY = "present_key.", PRESENT_VALUE = "present_value.";

    /** Added to masked attention scores; exp underflows to exactly 0, as HF's finfo.min does. */
    protected static final float MASKED = -1e9f;

    static {
        dev.emo.compat.GatherRows.register(); // before any gradient function exists: embedding gradients need it
    }

    protected final ModelConfig config;
    protected final SameDiff sd = SameDiff.create();
    private final Map<String, SDVariable> params = new LinkedHashMap<>();
    private Path weightsSource;

    protected final SDVariable inputIds;   // [B, T] int64
    protected final SDVariable attnBias;   // [B, 1, T, P+T] float: 0 or MASKED (P = 0 without a cache)
    protected final SDVariable batchTime;  // [2] int64: (B, T), for the reshapes attention needs
    protected SDVariable logits2d;         // [N, V], the graph's only output
    private SDVariable headWeight;         // [V, d'], the head's weight (logits = hidden · headWeightᵀ)

    private final boolean kvCache;
    private int attentionLayers;           // layers wired so far: names the cache placeholders
    private GraphExecutor executor;        // runs the forward graph (created on first use)

    private final LoraSpec lora;                                              // null: no adapters
    private final dev.emo.lowbit.BaseDType baseDtype;                         // float32, or how frozen projections are kept
    private final Map<String, FrozenWeight> frozen = new LinkedHashMap<>();   // projection weights held packed, by HF name
    private final java.util.Set<String> inOutWeights = new java.util.HashSet<>(); // Conv1D weights, stored [in, out]
    private final Map<String, SDVariable> loraParams = new LinkedHashMap<>(); // "<module>.lora_A.weight" [r, in], "….lora_B.weight" [out, r]

    protected CausalLM(ModelConfig config, GraphOptions options) {
        this.config = config.validate();
        this.kvCache = options.kvCache();
        this.lora = options.lora();
        this.baseDtype = options.baseDtype();
        // SameDiff's default holder keeps a second, never-used copy of every variable's array (for per-device
        // copies): measured +256 MB per 256 MB parameter. One graph is only ever used by one thread at a time here.
        sd.setArrayHolders(new SingleThreadArrayHolder(), new SingleThreadArrayHolder(), false);
        if (baseDtype.packed() && !HostOp.enabled()) {
            throw new UserError("--base_dtype " + baseDtype.flag() + " needs the CPU backend's host ops (this backend: "
                    + org.nd4j.linalg.factory.Nd4j.getBackend().getClass().getSimpleName() + "); use --base_dtype float32");
        }
        inputIds = sd.placeHolder(INPUT_IDS, DataType.INT64, -1, -1);
        attnBias = sd.placeHolder(ATTN_BIAS, DataType.FLOAT, -1, 1, -1, -1);
        batchTime = sd.shape(inputIds).castTo(DataType.INT64);
    }

    public ModelConfig config() {
        return config;
    }

    public SameDiff sameDiff() {
        return sd;
    }

    public SDVariable logits2d() {
        return logits2d;
    }

    /** Trainable parameters by Hugging Face name. */
    public Map<String, SDVariable> params() {
        return params;
    }

    /** The LM head matrix [V, d'] (the tied embedding where the head is tied): the default EMO cost embedding. */
    public SDVariable lmHead() {
        return headWeight;
    }

    public boolean hasKvCache() {
        return kvCache;
    }

    /** Host-side placeholders for a batch; attentionMask is 1 for real tokens, 0 for padding. */
    public Map<String, INDArray> feeds(INDArray inputIds, INDArray attentionMask) {
        return feeds(inputIds, attentionMask, positionIds(attentionMask), null);
    }

    /**
     * Placeholders for packed rows, several examples one after another in a row. segments [B, T] numbers
     * them (1, 2, … in each row; 0 on padding, where the mask is 0); null: one example a row, as
     * {@link #feeds(INDArray, INDArray)}. A real token attends only to the earlier tokens of its own
     * example, and positions restart at 0 with each example (transformers' packed rows with position_ids),
     * so each example's logits are those it has alone in a row.
     */
    public Map<String, INDArray> feeds(INDArray inputIds, INDArray attentionMask, INDArray segments) {
        if (segments == null) return feeds(inputIds, attentionMask);
        return feeds(inputIds, attentionMask, packedPositionIds(restartingPositions(segments)), segments);
    }

    /**
     * Placeholders for new tokens [B, T] whose keys follow P cached ones: fullMask is [B, P+T] and
     * positions [B, P+T] (only the last T are fed); segments [B, P+T] or null (see the public overload).
     */
    private Map<String, INDArray> feeds(INDArray newIds, INDArray fullMask, INDArray positions, INDArray segments) {
        long t = newIds.size(1), total = fullMask.size(1);
        Map<String, INDArray> f = new HashMap<>();
        f.put(INPUT_IDS, newIds.castTo(DataType.INT64));
        f.put(ATTN_BIAS, causalPaddingBias(fullMask, segments, (int) t, config.slidingWindow()));
        putPositions(f, t == total ? positions
                : positions.get(NDArrayIndex.all(), NDArrayIndex.interval(total - t, total)).dup('c'));
        long rows = newIds.size(0) * t;
        dropoutWidths.forEach((name, in) -> f.put(name, Nd4j.ones(DataType.FLOAT, rows, in)));   // no dropout outside training
        return f;
    }

    /** Logits [B, T, V] for a batch (on a KV-cache graph: with an empty cache). */
    public INDArray forward(INDArray inputIds, INDArray attentionMask) {
        return run(feeds(inputIds, attentionMask), inputIds, LOGITS_2D);
    }

    /** Logits [B, T, V] of packed rows: segments as in {@link #feeds(INDArray, INDArray, INDArray)}. */
    public INDArray forward(INDArray inputIds, INDArray attentionMask, INDArray segments) {
        return run(feeds(inputIds, attentionMask, segments), inputIds, LOGITS_2D);
    }

    /** The last layer's output [B, T, d'] (after the final norm, as Hugging Face's hidden_states[-1]). */
    public INDArray hiddenStates(INDArray inputIds, INDArray attentionMask) {
        return run(feeds(inputIds, attentionMask), inputIds, FINAL_HIDDEN);
    }

    /**
     * Logits [B, T, V] with the positions generation uses ({@link #generationPositionIds}), so
     * left-padded prompts are placed as Hugging Face's generate places them; no cache.
     */
    public INDArray forwardForGeneration(INDArray inputIds, INDArray attentionMask) {
        return run(feeds(inputIds, attentionMask, generationPositionIds(attentionMask), null), inputIds, LOGITS_2D);
    }

    /** One pass without a cache (an empty one on a KV-cache graph): output [N, width] as [B, T, width]. */
    private INDArray run(Map<String, INDArray> f, INDArray inputIds, String output) {
        if (kvCache) putCache(f, emptyCache((int) inputIds.size(0)));
        INDArray flat = executor().output(f, List.of(output)).get(output);
        return flat.reshape(inputIds.size(0), inputIds.size(1), flat.size(1));
    }

    private GraphExecutor executor() {
        if (executor == null) executor = new GraphExecutor(sd);
        return executor;
    }

    /** Frees the buffers kept for reuse by later forward passes (e.g. after an evaluation during training). */
    public void releaseBuffers() {
        if (executor != null) executor.close();
    }

    /**
     * One incremental step: new tokens [B, T] after the cached ones. fullMask [B, P+T] covers both;
     * returns the new tokens' logits [B, T, V] and the cache extended by them. Needs a graph built
     * with a KV cache; the caller owns (and may close) the returned arrays.
     */
    public KvCache.Step forwardCached(INDArray newIds, INDArray fullMask, KvCache past) {
        return cachedStep(newIds, fullMask, past, false);
    }

    /**
     * {@link #forwardCached} with the logits of each row's last new token only, [B, 1, V]: what
     * sampling needs. The head is applied to B rows instead of B·T (for a 256-token prompt pass of
     * GPT-2 small at batch 8 that skips a [2048, 768] × [768, 50257] product).
     */
    public KvCache.Step forwardCachedLast(INDArray newIds, INDArray fullMask, KvCache past) {
        return cachedStep(newIds, fullMask, past, true);
    }

    private KvCache.Step cachedStep(INDArray newIds, INDArray fullMask, KvCache past, boolean lastOnly) {
        if (!kvCache) throw new IllegalStateException("this graph was built without a KV cache");
        int layers = attentionLayers;
        Map<String, INDArray> f = feeds(newIds, fullMask, generationPositionIds(fullMask), null);
        putCache(f, past);
        List<String> outputs = new ArrayList<>(List.of(lastOnly ? FINAL_HIDDEN : LOGITS_2D));
        for (int l = 0; l < layers; l++) {
            outputs.add(PRESENT_KEY + l);
            outputs.add(PRESENT_VALUE + l);
        }
        Map<String, INDArray> out = executor().output(f, outputs);
        List<INDArray> keys = new ArrayList<>(), values = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            keys.add(out.get(PRESENT_KEY + l));
            values.add(out.get(PRESENT_VALUE + l));
        }
        long b = newIds.size(0), t = newIds.size(1);
        INDArray logits;
        if (lastOnly) {
            INDArray hidden = out.get(FINAL_HIDDEN);                                    // [B·T, d']
            INDArray last = hidden.reshape(b, t, hidden.size(1))
                    .get(NDArrayIndex.all(), NDArrayIndex.point(t - 1), NDArrayIndex.all()).dup('c');   // [B, d']
            logits = HostBlas.product(last, headWeight.getArr(), true).reshape(b, 1, config.vocabSize());
            hidden.close();
        } else {
            logits = out.get(LOGITS_2D).reshape(b, t, config.vocabSize());
        }
        return new KvCache.Step(logits, new KvCache(keys, values));
    }

    private void putCache(Map<String, INDArray> feeds, KvCache past) {
        for (int l = 0; l < attentionLayers; l++) {
            feeds.put(PAST_KEY + l, past.keys().get(l));
            feeds.put(PAST_VALUE + l, past.values().get(l));
        }
    }

    /** An empty cache (P = 0) for a batch of b rows. */
    public KvCache emptyCache(int b) {
        List<INDArray> keys = new ArrayList<>(), values = new ArrayList<>();
        for (int l = 0; l < attentionLayers; l++) {
            keys.add(Nd4j.create(DataType.FLOAT, b, config.numHeads(), 0, config.headDim()));
            values.add(Nd4j.create(DataType.FLOAT, b, config.numHeads(), 0, config.headDim()));
        }
        return new KvCache(keys, values);
    }

    // ---------------------------------------------------------------- positions (per family)

    /** Position ids [B, T] as the family's ONNX export derives them from the mask. */
    protected abstract INDArray positionIds(INDArray attentionMask);

    /** The position ids [B, T] an export that takes {@code position_ids} must be fed to agree with this graph. */
    public final INDArray exportPositionIds(INDArray attentionMask) {
        return positionIds(attentionMask);
    }

    /** Position ids [B, T] as Hugging Face's generate derives them (left padding); by default the export's. */
    protected INDArray generationPositionIds(INDArray attentionMask) {
        return positionIds(attentionMask);
    }

    /** Position ids [B, T] the graph takes for positions counted from 0 in each example (OPT adds its offset). */
    protected INDArray packedPositionIds(INDArray fromZero) {
        return fromZero;
    }

    /** Puts the placeholders that carry positions [B, T]: the {@code position_ids} placeholder; LLaMA feeds rotary tables instead. */
    protected void putPositions(Map<String, INDArray> feeds, INDArray positions) {
        feeds.put("position_ids", positions);
    }

    // ---------------------------------------------------------------- building blocks

    protected SDVariable param(String hfName, long... shape) {
        SDVariable v = sd.var(hfName, Nd4j.zeros(DataType.FLOAT, shape));
        params.put(hfName, v);
        return v;
    }

    /**
     * The Linear layer {@code module} (weight [out, in], bias [out] if {@code bias}): a float32
     * parameter through {@link #linear}, or with a packed base a {@link FrozenWeight} multiplied by
     * the frozen-linear host op; LoRA's side path either way.
     */
    protected SDVariable projection(SDVariable x, String module, long out, long in, boolean bias) {
        if (!baseDtype.packed()) return linear(x, param(module + ".weight", out, in), bias ? param(module + ".bias", out) : null);
        SDVariable y = lowRank(x, module + ".weight", FrozenLinear.apply(sd, x, frozen(module + ".weight", out, in, false)), in, out);
        return bias ? y.add(param(module + ".bias", out)) : y;
    }

    /** GPT-2's Conv1D {@code module}: x [N, in] · W [in, out] + b, W float32 or packed as {@link #projection}. */
    protected SDVariable conv1dProjection(SDVariable x, String module, long in, long out) {
        inOutWeights.add(module + ".weight");
        if (!baseDtype.packed()) {
            SDVariable w = param(module + ".weight", in, out), b = param(module + ".bias", out);
            return lowRank(x, w.name(), sd.mmul(x, w), in, out).add(b);
        }
        SDVariable y = FrozenLinear.apply(sd, x, frozen(module + ".weight", in, out, true)), b = param(module + ".bias", out);
        return lowRank(x, module + ".weight", y, in, out).add(b);
    }

    private FrozenWeight frozen(String name, long rows, long cols, boolean inOut) {
        FrozenWeight w = new FrozenWeight(name, rows, cols, inOut, baseDtype);
        frozen.put(name, w);
        return w;
    }

    /** The projection weights held packed (empty with a float32 base), by Hugging Face name. */
    public Map<String, FrozenWeight> frozenWeights() {
        return java.util.Collections.unmodifiableMap(frozen);
    }

    /** Every base parameter's shape by Hugging Face name, float32 variables and packed projections alike. */
    public Map<String, long[]> parameterShapes() {
        Map<String, long[]> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, v.getShape()));
        frozen.forEach((k, w) -> out.put(k, w.shape()));
        return out;
    }

    /** How the base's projection weights are kept. */
    public dev.emo.lowbit.BaseDType baseDtype() {
        return baseDtype;
    }

    /** x [N, in] · W [out, in]ᵀ (+ b): PyTorch's Linear layout. */
    protected SDVariable linear(SDVariable x, SDVariable w, SDVariable b) {
        SDVariable y = sd.mmul(x, w, false, true, false);
        long[] shape = w.getShape();                                      // [out, in]
        y = lowRank(x, w.name(), y, shape[1], shape[0]);
        return b == null ? y : y.add(b);
    }

    /**
     * y + (α/r)·(x·Aᵀ)·Bᵀ where the LoRA spec targets w's module, else y. x [N, in] → [N, r] → [N, out]:
     * two thin products instead of forming B·A. With lora_dropout, x is first multiplied by a mask
     * placeholder [N, in] ({@link #LORA_DROPOUT} + module): ones unless the trainer feeds a dropout mask.
     */
    protected SDVariable lowRank(SDVariable x, String weightName, SDVariable y, long in, long out) {
        if (lora == null || !lora.targets(weightName)) return y;
        String module = LoraSpec.module(weightName);
        if (lora.dropout() > 0) {
            x = x.mul(sd.placeHolder(LORA_DROPOUT + module, DataType.FLOAT, -1, in));
            dropoutWidths.put(LORA_DROPOUT + module, in);
        }
        SDVariable a = loraParam(module + ".lora_A.weight", lora.r(), in);
        SDVariable b = loraParam(module + ".lora_B.weight", out, lora.r());
        SDVariable xa = sd.mmul(x, a, false, true, false);                 // [N, r]
        return y.add(sd.mmul(xa, b, false, true, false).mul(lora.scale())); // [N, out]
    }

    /** Placeholders of the LoRA dropout masks: this prefix + the module name. */
    public static final String LORA_DROPOUT = "lora_dropout_mask.";
    private final Map<String, Long> dropoutWidths = new LinkedHashMap<>();   // mask placeholder → in

    /**
     * Inverted-dropout masks [N, in] for every adapted module (entries 0 or 1/(1−p), seeded), to
     * replace the all-ones masks of {@link #feeds} in a training step; empty without lora_dropout.
     */
    public Map<String, INDArray> loraDropoutMasks(long rows, java.util.Random rng) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        if (dropoutWidths.isEmpty()) return out;
        float keep = (float) (1 / (1 - lora.dropout()));
        for (var e : dropoutWidths.entrySet()) {
            float[] m = new float[Math.toIntExact(rows * e.getValue())];
            for (int i = 0; i < m.length; i++) m[i] = rng.nextDouble() < lora.dropout() ? 0f : keep;
            out.put(e.getKey(), Nd4j.create(m, new long[]{rows, e.getValue()}, 'c'));
        }
        return out;
    }

    private SDVariable loraParam(String name, long... shape) {
        SDVariable v = sd.var(name, Nd4j.zeros(DataType.FLOAT, shape));
        loraParams.put(name, v);
        return v;
    }

    /** PEFT's initialisation: A ~ U(−1/√in, 1/√in) (kaiming_uniform_ with a = √5), B = 0, so the model starts as the base. */
    public void initLora(java.util.Random rng) {
        for (var e : loraParams.entrySet()) {
            INDArray arr = e.getValue().getArr();
            if (e.getKey().endsWith(".lora_B.weight")) {
                arr.assign(0);
                continue;
            }
            double bound = 1 / Math.sqrt(arr.size(1));
            float[] v = new float[(int) arr.length()];
            for (int i = 0; i < v.length; i++) v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
            arr.assign(Nd4j.create(v, arr.shape(), 'c'));
        }
    }

    /** The LoRA spec the graph was built with, or null. */
    public LoraSpec lora() {
        return lora;
    }

    /** The adapters' variables by PEFT-style name (empty without LoRA). */
    public Map<String, SDVariable> loraParams() {
        return loraParams;
    }

    /** What training updates: the adapters with LoRA, else every parameter. */
    public Map<String, SDVariable> trainable() {
        return lora == null ? params : loraParams;
    }

    /** Current values of {@link #trainable()}. */
    public Map<String, INDArray> trainableWeights() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        trainable().forEach((k, v) -> out.put(k, v.getArr()));
        return out;
    }

    /**
     * With LoRA: the base parameters become SameDiff constants, so the gradient function has no
     * gradient variables (and no optimizer state) for them. Call before the gradient function is built.
     */
    public void freezeBase() {
        if (lora == null) return;
        sd.convertToConstants(new java.util.ArrayList<>(params.values()));
    }

    /**
     * The base weights with the adapters merged in: W + (α/r)·B·A ([out, in]), or its transpose
     * added for GPT-2's [in, out] Conv1D weights. Without LoRA: {@link #weights()}.
     */
    public Map<String, INDArray> mergedWeights() {
        Map<String, INDArray> out = weights();
        if (lora == null) return out;
        for (String name : new ArrayList<>(out.keySet())) {   // packed weights too: weights() decoded them
            SDVariable a = loraParams.get(LoraSpec.module(name) + ".lora_A.weight");
            if (!name.endsWith(".weight") || a == null) continue;
            INDArray delta = loraParams.get(LoraSpec.module(name) + ".lora_B.weight").getArr().mmul(a.getArr()).muli(lora.scale()); // [out, in]
            INDArray w = out.get(name);
            // by layout, not by shape: a square Conv1D weight (GPT-2's attn.c_proj) takes the transpose too
            out.put(name, inOutWeights.contains(name) ? w.add(delta.transpose()) : w.add(delta));
        }
        return out;
    }

    /**
     * LayerNorm over the last dim of [N, d] with the config's eps (not the native op: see
     * compat.LayerNorm): one fused host op on the CPU backend, else primitives.
     */
    protected SDVariable layerNorm(SDVariable x, SDVariable gain, SDVariable bias, double eps) {
        return FusedLayerNorm.apply(sd, x, gain, bias, eps, () -> dev.emo.compat.LayerNorm.withEps(sd, x, gain, bias, eps));
    }

    /**
     * Scaled dot-product attention. q, k, v: [N, H·hd] (k, v already expanded to H heads);
     * returns [N, H·hd].
     */
    protected SDVariable attention(SDVariable q, SDVariable k, SDVariable v, int heads, int headDim) {
        if (HostOp.enabled()) {   // one copy per tensor into [B, H, T, hd] (kernels.Heads)
            return attentionOfHeads(Heads.split(sd, q, batchTime, 1, heads, headDim)[0], Heads.split(sd, k, batchTime, 1, heads, headDim)[0],
                    Heads.split(sd, v, batchTime, 1, heads, headDim)[0], heads, headDim);
        }
        SDVariable shapeBTHD = sd.concat(0, batchTime, sd.constant(Nd4j.createFromArray((long) heads, headDim)));
        SDVariable q4 = sd.permute(sd.reshape(q, shapeBTHD), 0, 2, 1, 3);   // [B, H, T, hd]
        SDVariable k4 = sd.permute(sd.reshape(k, shapeBTHD), 0, 2, 1, 3);
        SDVariable v4 = sd.permute(sd.reshape(v, shapeBTHD), 0, 2, 1, 3);
        return attentionOfHeads(q4, k4, v4, heads, headDim);
    }

    /** Attention from one fused product qkv [N, 3·H·hd] (queries, keys, values side by side, as GPT-2's c_attn); returns [N, H·hd]. */
    protected SDVariable attentionOfQkv(SDVariable qkv, int heads, int headDim) {
        if (HostOp.enabled()) {
            SDVariable[] h = Heads.split(sd, qkv, batchTime, 3, heads, headDim);
            return attentionOfHeads(h[0], h[1], h[2], heads, headDim);
        }
        SDVariable[] split = sd.unstack(qkv.reshape(-1, 3, (long) heads * headDim), 1, 3);   // 3 × [N, H·hd]
        return attention(split[0], split[1], split[2], heads, headDim);
    }

    /** Attention of q4, k4, v4 [B, H, T, hd]; returns [N, H·hd]. */
    private SDVariable attentionOfHeads(SDVariable q4, SDVariable k4, SDVariable v4, int heads, int headDim) {
        int layer = attentionLayers++;
        if (kvCache) {                                                     // keys/values: [B, H, P+T, hd]
            k4 = sd.concat(PRESENT_KEY + layer, 2,
                    sd.placeHolder(PAST_KEY + layer, DataType.FLOAT, -1, heads, -1, headDim), k4);
            v4 = sd.concat(PRESENT_VALUE + layer, 2,
                    sd.placeHolder(PAST_VALUE + layer, DataType.FLOAT, -1, heads, -1, headDim), v4);
        }
        SDVariable scores = sd.mmul(q4, k4, false, true, false);           // [B, H, T, P+T]
        SDVariable probs = MaskedSoftmax.apply(sd, scores, attnBias, 1.0 / Math.sqrt(headDim));
        SDVariable out = sd.mmul(probs, v4);                                 // [B, H, T, hd]
        if (HostOp.enabled()) return Heads.merge(sd, out, batchTime, heads, headDim);
        return sd.permute(out, 0, 2, 1, 3).reshape(-1, (long) heads * headDim);
    }

    /**
     * Sets the output from the final hidden state [N, d'] and the head [V, d']. The logits stay
     * [N, V] inside the graph: M2.1 would take a terminal reshape for a second loss when the
     * training loss's gradient is fed in from outside (see compat.UpstreamBehaviourTest).
     */
    protected void head(SDVariable hidden, SDVariable headWeight) {
        this.headWeight = headWeight;
        hidden.rename(FINAL_HIDDEN);                                                    // [N, d'], for featurizers
        logits2d = sd.mmul(hidden, headWeight, false, true, false).rename(LOGITS_2D); // [N, V]
    }

    /**
     * [B, 1, T, P+T] for the last T of P+T key positions: 0 where query q (sequence index P+q) may
     * see key s (s ≤ P+q and s is not padding), else MASKED. With a sliding window W > 0, a real
     * query also sees only the keys among its last W real tokens (s counts if fewer than W real tokens
     * follow it up to the query), so padding inside a row (the shared-prefix scorer pads each prefix
     * before its suffixes) does not shrink the window; where the real tokens are contiguous (right
     * padding in training, left padding in generation) that is transformers' rule s > P+q − W exactly.
     * A padding query, whose output nobody reads, takes that index rule as transformers does, so the
     * logits agree on every row. With a KV cache the same rule keeps the cache beyond W unattended.
     */
    protected static INDArray causalPaddingBias(INDArray attentionMask, int queries, int window) {
        return causalPaddingBias(attentionMask, null, queries, window);
    }

    /**
     * As {@link #causalPaddingBias(INDArray, int, int)}, where a real query also sees only keys of its own
     * segment ([B, P+T], null: one segment a row). A packed example's tokens are contiguous and real, so
     * the window's count of real tokens stays inside the example too.
     */
    protected static INDArray causalPaddingBias(INDArray attentionMask, INDArray segments, int queries, int window) {
        int b = (int) attentionMask.size(0), total = (int) attentionMask.size(1), past = total - queries;
        long[] mask = attentionMask.castTo(DataType.INT64).reshape(-1).toLongVector();
        long[] seg = segments == null ? null : segments.castTo(DataType.INT64).reshape(-1).toLongVector();
        float[] bias = new float[b * queries * total];
        int[] realUpTo = new int[total + 1];   // realUpTo[s] = real tokens at indices < s, in the current row
        for (int i = 0; i < b; i++) {
            for (int s = 0; s < total; s++) realUpTo[s + 1] = realUpTo[s] + (mask[i * total + s] != 0 ? 1 : 0);
            for (int q = 0; q < queries; q++) {
                int row = (i * queries + q) * total, at = past + q;
                boolean realQuery = mask[i * total + at] != 0;
                for (int s = 0; s < total; s++) {
                    boolean visible = s <= at && mask[i * total + s] != 0
                            && (seg == null || !realQuery || seg[i * total + s] == seg[i * total + at]);
                    if (visible && window > 0) {
                        visible = realQuery ? realUpTo[at + 1] - realUpTo[s] <= window : s > at - window;
                    }
                    bias[row + s] = visible ? 0f : MASKED;
                }
            }
        }
        return Nd4j.create(bias, new long[]{b, 1, queries, total}, 'c');
    }

    /** Positions [B, T] counted from 0 at each change of segment id along a row (segments [B, T]). */
    static INDArray restartingPositions(INDArray segments) {
        long b = segments.size(0), t = segments.size(1);
        long[] seg = segments.castTo(DataType.INT64).reshape(-1).toLongVector(), pos = new long[seg.length];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                int at = (int) (i * t + j);
                pos[at] = j > 0 && seg[at] == seg[at - 1] ? pos[at - 1] + 1 : 0;
            }
        }
        return Nd4j.createFromArray(pos).reshape(b, t);
    }

    /** Position ids 0..T-1 for every row [B, T]. */
    protected static INDArray arangePositions(INDArray attentionMask) {
        long b = attentionMask.size(0), t = attentionMask.size(1);
        long[] pos = new long[(int) (b * t)];
        for (int i = 0; i < b; i++) for (int j = 0; j < t; j++) pos[(int) (i * t + j)] = j;
        return Nd4j.createFromArray(pos).reshape(b, t);
    }

    /**
     * Position ids [B, T] from the mask's running count, as exporters compute them: cumsum(mask) − 1,
     * times the mask if {@code zeroPadding} (then padding gets −1), clipped below at {@code min}.
     */
    protected static INDArray cumsumPositions(INDArray attentionMask, boolean zeroPadding, long min) {
        long b = attentionMask.size(0), t = attentionMask.size(1);
        long[] pos = new long[(int) (b * t)];
        long[] mask = attentionMask.castTo(DataType.INT64).reshape(-1).toLongVector();
        for (int i = 0; i < b; i++) {
            long run = 0;
            for (int j = 0; j < t; j++) {
                long m = mask[(int) (i * t + j)] != 0 ? 1 : 0;
                run += m;
                pos[(int) (i * t + j)] = Math.max(min, (zeroPadding ? run * m : run) - 1);
            }
        }
        return Nd4j.createFromArray(pos).reshape(b, t);
    }

    // ---------------------------------------------------------------- weights

    /**
     * Assigns every parameter exactly once from Hugging Face-named tensors. Extra tensors are an
     * error unless {@code ignorable} says they are a known duplicate (the tied head).
     */
    public void loadWeights(Map<String, INDArray> weights, Path source) {
        this.weightsSource = source;
        List<String> unmapped = new ArrayList<>();
        for (Map.Entry<String, INDArray> e : weights.entrySet()) {
            FrozenWeight fw = frozen.get(e.getKey());
            if (fw != null) {
                requireShape(e.getKey(), fw.shape(), e.getValue().shape(), source);
                fw.set(PackedMatrix.of(e.getValue(), baseDtype));
                continue;
            }
            SDVariable v = params.get(e.getKey());
            if (v == null) {
                if (!isTiedDuplicate(e.getKey(), e.getValue(), weights)) unmapped.add(e.getKey());
                continue;
            }
            requireShape(e.getKey(), v.getArr().shape(), e.getValue().shape(), source);
            v.setArray(e.getValue().castTo(DataType.FLOAT).dup('c'));
        }
        requireOneToOne(unmapped, weights.keySet(), source);
    }

    /** Every stored tensor maps to a parameter ({@code unmapped} lists those that do not) and every parameter, float32 or packed, is among {@code stored}. */
    private void requireOneToOne(List<String> unmapped, java.util.Set<String> stored, Path source) {
        if (!unmapped.isEmpty()) {
            throw UserError.of(source, "initializer(s) " + unmapped + " map to no parameter of the "
                    + config.modelType() + " graph", "check that config.json matches the export");
        }
        List<String> missing = new ArrayList<>();
        for (String name : params.keySet()) if (!stored.contains(name)) missing.add(name);
        for (String name : frozen.keySet()) if (!stored.contains(name)) missing.add(name);
        if (!missing.isEmpty()) {
            throw UserError.of(source, "no initializer for parameter(s) " + missing,
                    "check that config.json matches the export (layer count, tie_word_embeddings)");
        }
    }

    /**
     * {@link #loadWeights(Map, Path)} from tensors read on demand (a checkpoint streamed from disk), with
     * the same checks and messages. Names and shapes are checked first, from the headers alone; then
     * each float32 parameter is filled in place (its array exists since the graph was built) and each
     * packed projection is built from the file's bytes, one tensor at a time, so no second copy of the
     * model is ever held. NaN or infinite values are refused as they are read.
     */
    public void loadWeights(List<? extends dev.emo.weights.StoredTensor> tensors, Path source) {
        this.weightsSource = source;
        Map<String, INDArray> arrays = new LinkedHashMap<>();
        params.forEach((k, v) -> arrays.put(k, v.getArr()));
        INDArray tiedTo = config.tieWordEmbeddings() ? lmHeadSource(arrays) : null;
        dev.emo.weights.StoredTensor tiedHead = null;   // exporters' copy of the tied head: checked once the embedding is read
        List<String> unmapped = new ArrayList<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        for (dev.emo.weights.StoredTensor t : tensors) {
            names.add(t.name());
            FrozenWeight fw = frozen.get(t.name());
            SDVariable v = params.get(t.name());
            if (fw != null) requireShape(t.name(), fw.shape(), t.shape(), source);
            else if (v != null) requireShape(t.name(), v.getArr().shape(), t.shape(), source);
            else if (tiedTo != null && t.name().equals("lm_head.weight") && java.util.Arrays.equals(tiedTo.shape(), t.shape())) tiedHead = t;
            else unmapped.add(t.name());
        }
        requireOneToOne(unmapped, names, source);
        dev.emo.weights.TensorReader reader = new dev.emo.weights.TensorReader();
        for (dev.emo.weights.StoredTensor t : tensors) {
            FrozenWeight fw = frozen.get(t.name());
            if (fw != null) fw.set(reader.packed(t, baseDtype));
            else if (params.containsKey(t.name())) reader.fill(t, params.get(t.name()).getArr());
        }
        double diff = tiedHead == null ? 0 : reader.maxAbsDiff(tiedHead, tiedTo);
        if (diff != 0) {
            throw UserError.of(weightsSource, "lm_head.weight differs from the tied embedding by " + diff,
                    "set \"tie_word_embeddings\": false in config.json if the head is not tied");
        }
    }

    private void requireShape(String name, long[] want, long[] got, Path source) {
        if (!java.util.Arrays.equals(want, got)) {
            throw UserError.of(source, "parameter '" + name + "' has shape " + java.util.Arrays.toString(got)
                            + " but " + config.file().getFileName() + " implies " + java.util.Arrays.toString(want),
                    "use the config.json that was exported with this model");
        }
    }

    /**
     * Takes {@code other}'s weights, a graph of the same config, LoRA spec and base type (e.g. its KV-cache
     * twin): float32 parameters and adapters copied, packed projections shared (they are frozen), so a
     * 7B base is not held twice.
     */
    public void copyWeightsFrom(CausalLM other) {
        if (!params.keySet().equals(other.params.keySet()) || !frozen.keySet().equals(other.frozen.keySet())
                || !loraParams.keySet().equals(other.loraParams.keySet())) {
            throw new IllegalArgumentException("copyWeightsFrom: graphs of different parameters");
        }
        this.weightsSource = other.weightsSource;
        params.forEach((k, v) -> v.setArray(other.params.get(k).getArr().dup('c')));
        loraParams.forEach((k, v) -> v.setArray(other.loraParams.get(k).getArr().dup('c')));
        frozen.forEach((k, w) -> w.set(other.frozen.get(k).matrix()));
    }

    /** The tied LM head is stored twice by exporters; the copy must equal the embedding. */
    private boolean isTiedDuplicate(String name, INDArray value, Map<String, INDArray> all) {
        if (!config.tieWordEmbeddings() || !name.equals("lm_head.weight")) return false;
        INDArray head = lmHeadSource(all);
        if (head == null || !java.util.Arrays.equals(head.shape(), value.shape())) return false;
        double diff = head.sub(value).amaxNumber().doubleValue();
        if (diff != 0) {
            throw UserError.of(weightsSource, "lm_head.weight differs from the tied embedding by " + diff,
                    "set \"tie_word_embeddings\": false in config.json if the head is not tied");
        }
        return true;
    }

    /** The tensor the tied head shares, by name, or null. */
    protected abstract INDArray lmHeadSource(Map<String, INDArray> weights);

    /** The file the weights were loaded from (for messages). */
    public Path weightsSource() {
        return weightsSource;
    }

    /**
     * Current parameter values by Hugging Face name, in the graph's order; packed projection weights
     * decoded to float32 (this inflates them: for small models, merging and export).
     */
    public Map<String, INDArray> weights() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, v.getArr()));
        frozen.forEach((k, w) -> out.put(k, w.matrix().toFloat()));
        return out;
    }
}

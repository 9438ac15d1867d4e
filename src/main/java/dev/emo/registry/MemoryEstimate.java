package dev.emo.registry;

import dev.emo.UserError;
import dev.emo.lowbit.BaseDType;
import dev.emo.models.LoraSpec;
import dev.emo.models.ModelConfig;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

/**
 * What one training step holds, part by part, from the graph's shapes ({@link ModelShapes}) before any
 * weight exists. Like {@code util.MemoryBudget}'s figures these count what must be held, not workspace,
 * pooling slack or fragmentation: a measured peak RSS is higher, and a refusal means "cannot fit".
 *
 * @param weights               the base: projections as {@code --base_dtype} stores them, plus float32 embeddings, head, norms, biases
 * @param trainable             LoRA: the adapters' values, gradients and AdamW's m and v (16 bytes an element); full
 *                              fine-tuning: every parameter's gradient, m and v (12 bytes; the values are in {@code weights})
 * @param activationsStored     every layer's activations kept for the backward pass (layers × ModelConfig.layerActivationBytes)
 * @param activationsRecomputed gradient checkpointing: each layer's input [B·T, d] in float32, plus one layer's
 *                              activations at a time while it is recomputed and differentiated
 * @param logits                [B·T, V] floats: the logits, q turned in place into dL/dz, the gradient as fed to the graph,
 *                              and for DEMD objectives the cosines [B·T, V] and the cost embedding [V, d']
 * @param packedBytes           the share of {@code weights} held as packed projections (JavaCPP memory, like ND4J's
 *                              arrays: bounded by the machine and EMO_MAX_RAM, not by -Xmx)
 */
public record MemoryEstimate(Setting setting, long weights, long trainable, long activationsStored, long activationsRecomputed,
                             long logits, long packedBytes) {

    /**
     * What the flags choose. {@code lora} null: full fine-tuning (base float32); {@code costEmbedding}: the objective
     * needs DEMD (emo, emo2, demd), which adds the normalised head copy and one more [B·T, V] buffer.
     */
    public record Setting(LoraSpec lora, BaseDType base, boolean checkpointing, long batch, long length, boolean costEmbedding) {
        public Setting {
            if (lora == null && base.packed()) throw new IllegalArgumentException("full fine-tuning trains float32 weights, not " + base.flag());
        }

        Setting with(LoraSpec l, BaseDType b, boolean ckpt, long n) {
            return new Setting(l, b, ckpt, n, length, costEmbedding);
        }

        /** "LoRA r 16 on a bfloat16 base, --batch 1 × 512 tokens, gradient checkpointing". */
        public String describe(String batchFlag) {
            String what = lora == null ? "full fine-tuning in float32" : "LoRA r " + lora.r() + " on a " + base.flag() + " base";
            return what + ", " + batchFlag + " " + batch + " × " + length + " tokens" + (checkpointing ? ", gradient checkpointing" : "");
        }
    }

    /** The bytes this JVM may fill: the machine's memory, or JavaCPP's cap (run.sh's EMO_MAX_RAM) where one is set. */
    public record Budget(long memory) {
        public static Budget ofThisJvm() {
            long memory = dev.emo.util.MemoryBudget.physicalBytes(), javacpp = org.bytedeco.javacpp.Pointer.maxPhysicalBytes();
            if (javacpp > 0) memory = Math.min(memory, javacpp);
            return new Budget(memory);
        }
    }

    public static MemoryEstimate of(ModelShapes shapes, Setting s) {
        ModelConfig c = shapes.config();
        long projections = shapes.projectionBytes(s.base());
        long weights = projections + 4 * shapes.otherFloats();
        long trainable = s.lora() != null ? 16 * shapes.adapterElements(s.lora()) : 12 * shapes.parameters();
        double layer = c.layerActivationBytes(s.batch(), s.length(), true);
        long tokens = s.batch() * s.length();
        long stored = (long) (c.numLayers() * layer);
        long recomputed = (long) (4.0 * c.numLayers() * tokens * c.hiddenSize() + layer);
        long logits = 4 * tokens * c.vocabSize() * (s.costEmbedding() ? 4 : 3) + (s.costEmbedding() ? 4 * shapes.headElements() : 0);
        return new MemoryEstimate(s, weights, trainable, stored, recomputed, logits, s.base().packed() ? projections : 0);
    }

    /** The activations the setting holds: recomputed with gradient checkpointing, else stored. */
    public long activations() {
        return setting.checkpointing() ? activationsRecomputed : activationsStored;
    }

    public long total() {
        return weights + trainable + activations() + logits;
    }

    /** "weights 14.00, adapters and AdamW 0.13, activations 0.45, logits and loss 0.79 GB". */
    public String parts() {
        return String.format(Locale.ROOT, "weights %.2f, %s %.2f, activations %.2f, logits and loss %.2f GB", weights / 1e9,
                setting.lora() != null ? "adapters and AdamW" : "gradients and AdamW", trainable / 1e9, activations() / 1e9, logits / 1e9);
    }

    boolean fits(Budget b) {
        return total() <= b.memory();
    }

    /** {@link #require(Object, ModelShapes, Setting, String, Budget)} against this JVM's budget. */
    public static MemoryEstimate require(Object where, ModelShapes shapes, Setting s, String batchFlag) {
        return require(where, shapes, s, batchFlag, Budget.ofThisJvm());
    }

    /**
     * The estimate, or a one-line refusal where it exceeds the budget, whose fix names the flags (tried through
     * this estimator) that would make it fit: checkpointing, a 16- or 8-bit base, LoRA, then a smaller batch.
     */
    public static MemoryEstimate require(Object where, ModelShapes shapes, Setting s, String batchFlag, Budget budget) {
        MemoryEstimate e = of(shapes, s);
        if (e.fits(budget)) return e;
        throw UserError.of(where, s.describe(batchFlag) + " needs about " + gb(e.total()) + " of memory (" + e.parts()
                + "), more than this machine's " + gb(budget.memory()), fix(shapes, s, batchFlag, budget));
    }

    private static String fix(ModelShapes shapes, Setting s, String batchFlag, Budget budget) {
        List<Setting> options = alternatives(shapes, s);
        for (Setting o : options) {
            MemoryEstimate e = of(shapes, o);
            if (e.total() <= budget.memory()) return "try " + String.join(" ", flags(s, o, batchFlag));
        }
        for (Setting o : options) {   // none fits at this batch: the largest batch that fits, this setting's first
            long lo = 0, hi = s.batch() - 1;
            while (lo < hi) {
                long mid = lo + (hi - lo + 1) / 2;
                if (of(shapes, o.with(o.lora(), o.base(), o.checkpointing(), mid)).total() <= budget.memory()) lo = mid;
                else hi = mid - 1;
            }
            if (lo == 0) continue;
            MemoryEstimate e = of(shapes, o.with(o.lora(), o.base(), o.checkpointing(), lo));
            return "try " + String.join(" ", flags(s, e.setting(), batchFlag));
        }
        return "no --lora_r, --base_dtype, --gradient_checkpointing or " + batchFlag + " makes it fit; pick a smaller model, or fewer tokens per sequence";
    }

    /** This setting, then the others by how many flags they change: checkpointing, a packed base (LoRA), LoRA r 16 for full fine-tuning. */
    private static List<Setting> alternatives(ModelShapes shapes, Setting s) {
        LoraSpec lora = s.lora() != null ? s.lora()
                : new LoraSpec(16, 32, 0, ModelFamilies.of(shapes.config()).defaultLoraTargets());
        LinkedHashSet<Setting> all = new LinkedHashSet<>();
        all.add(s);
        all.add(s.with(s.lora(), s.base(), true, s.batch()));
        for (BaseDType b : List.of(BaseDType.BFLOAT16, BaseDType.Q8_0)) {
            all.add(s.with(lora, b, s.checkpointing(), s.batch()));
            all.add(s.with(lora, b, true, s.batch()));
        }
        List<Setting> sorted = new ArrayList<>(all);
        sorted.sort(java.util.Comparator.comparingInt(o -> flags(s, o, "").size()));   // stable: the order above within a count
        return sorted;
    }

    /** The flags that turn {@code from} into {@code to}. */
    private static List<String> flags(Setting from, Setting to, String batchFlag) {
        List<String> f = new ArrayList<>();
        if (to.lora() != null && (from.lora() == null || from.lora().r() != to.lora().r())) f.add("--lora_r " + to.lora().r());
        if (to.base() != from.base()) f.add("--base_dtype " + to.base().flag());
        if (to.checkpointing() && !from.checkpointing()) f.add("--gradient_checkpointing");
        if (to.batch() != from.batch()) f.add(batchFlag + " " + to.batch());
        return f;
    }

    static String gb(double bytes) {
        return String.format(Locale.ROOT, "%.1f GB", bytes / 1e9);
    }
}

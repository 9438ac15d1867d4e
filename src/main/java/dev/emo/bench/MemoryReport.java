package dev.emo.bench;

import dev.emo.registry.MemoryEstimate;
import dev.emo.registry.ModelShapes;

import java.util.Locale;

/** {@code bench --what memory}: a {@link MemoryEstimate} part by part, and as a row of the README's table. */
public final class MemoryReport {
    private MemoryReport() {}

    public static String of(String arch, MemoryEstimate e, ModelShapes shapes, MemoryEstimate.Budget budget) {
        MemoryEstimate.Setting s = e.setting();
        String base = s.base().packed() ? s.base().flag() + " (off-heap)" : "float32";
        long rest = e.weights() - shapes.projectionBytes(s.base());
        long trainable = s.lora() != null ? shapes.adapterElements(s.lora()) : shapes.parameters();
        long stored = e.weights() + e.trainable() + e.activationsStored() + e.logits();
        long recomputed = e.weights() + e.trainable() + e.activationsRecomputed() + e.logits();
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "memory estimate, %s: %s%s (lower bounds: no workspace or pooling slack)%n", arch,
                s.describe("--batch"), s.costEmbedding() ? ", DEMD objective (cost embedding)" : ", MLE-type objectives"));
        out.append(String.format(Locale.ROOT, "  parameters       %.3e: projections %.3e, embeddings, head, norms and biases %.3e%n",
                (double) shapes.parameters(), (double) shapes.projectionElements(), (double) shapes.otherFloats()));
        out.append(String.format(Locale.ROOT, "  weights          %7.2f GB  projections %.2f GB %s, the rest %.2f GB float32%n",
                gb(e.weights()), gb(shapes.projectionBytes(s.base())), base, gb(rest)));
        out.append(String.format(Locale.ROOT, "  %-16s %7.2f GB  %.3e trainable × %d bytes%n", s.lora() != null ? "adapters, AdamW" : "gradients, AdamW",
                gb(e.trainable()), (double) trainable, s.lora() != null ? 16 : 12));
        out.append(String.format(Locale.ROOT, "  activations      %7.2f GB  stored for the backward pass; %.2f GB with gradient checkpointing%n",
                gb(e.activationsStored()), gb(e.activationsRecomputed())));
        out.append(String.format(Locale.ROOT, "  logits, loss     %7.2f GB%n", gb(e.logits())));
        out.append(String.format(Locale.ROOT, "  total            %7.2f GB  without checkpointing, %.2f GB with%n", gb(stored), gb(recomputed)));
        out.append(String.format(Locale.ROOT, "  this JVM         %.1f GB of memory: %s%n", gb(budget.memory()),
                e.total() > budget.memory() ? "does not fit" : "fits"));
        out.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |%n", arch, s.base().flag(),
                gb(e.weights()), gb(e.trainable()), gb(e.activationsStored()), gb(e.activationsRecomputed()), gb(e.logits()), gb(stored), gb(recomputed)));
        return out.toString();
    }

    private static double gb(long bytes) {
        return bytes / 1e9;
    }
}

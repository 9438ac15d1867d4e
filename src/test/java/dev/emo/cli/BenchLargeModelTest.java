package dev.emo.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** bench on the paper's sizes (#22): refusals before any weight exists, the memory estimate printed, the sizes listed. */
class BenchLargeModelTest {
    @TempDir
    Path tmp;

    /** Full fine-tuning of 13B: ≈ 240 GB at the default 8 × 256 (52 GB of float32 weights, 156 GB of gradients and moments). */
    @Test
    void fullFineTuningOf13bIsRefusedBeforeAllocating() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.emo.util.MemoryBudget.physicalBytes() < 200e9, "a machine that holds 13B in full");
        System.gc();
        long before = org.bytedeco.javacpp.Pointer.totalBytes();
        String m = CliRun.refused(tmp, "bench", "--what", "train", "--arch", "llama-13b", "--lora_r", "0");
        long grown = org.bytedeco.javacpp.Pointer.totalBytes() - before;
        assertTrue(grown < 64L << 20, "off-heap grew by " + (grown >> 20) + " MB: the probe's norms only, no weights");
        assertTrue(m.startsWith("error: bench --arch llama-13b: full fine-tuning in float32, --batch 8 × 256 tokens needs about "), m);
        assertTrue(m.contains("gradients and AdamW 156.1"), m);   // 12 bytes × 13.016e9 parameters
        assertTrue(m.contains("; try --lora_r 16 --base_dtype ") || m.contains("; no --lora_r"), m);
    }

    @Test
    void aPackedBaseWithoutLoraIsRefused() throws IOException {
        String m = CliRun.refused(tmp, "bench", "--what", "train", "--arch", "llama-tiny", "--base_dtype", "bfloat16");
        assertEquals("error: --base_dtype bfloat16: a packed base is frozen, and full fine-tuning (--lora_r 0) trains every weight in float32; "
                + "pass --lora_r 16 (LoRA adapters on the packed base) or --base_dtype float32", m);
        m = CliRun.refused(tmp, "bench", "--what", "memory", "--base_dtype", "int4");
        assertTrue(m.contains("--base_dtype int4: unknown; use auto|float32|bfloat16|float16|q8_0"), m);
    }

    /** What the README's table is printed with; auto means bfloat16 under LoRA. */
    @Test
    void memoryPrintsTheBreakdown() {
        CliRun r = CliRun.of("bench", "--what", "memory", "--arch", "llama-7b", "--lora_r", "16", "--batch", "1", "--length", "512",
                "--gradient_checkpointing", "--objectives", "emo");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("LoRA r 16 on a bfloat16 base, --batch 1 × 512 tokens, gradient checkpointing"), r.out());
        assertTrue(r.out().contains("| llama-7b | bfloat16 | 14.00 | 0.13 | 5.74 | 0.45 | 0.79 | 20.66 | 15.37 |"), r.out());
    }

    @Test
    void helpListsTheRegistrysSizes() {
        String help = CliRun.of("bench", "--help").out().replaceAll("\\s+", "");   // picocli wraps lines, even inside "llama3.2-1b"
        for (String arch : dev.emo.registry.Architectures.names()) assertTrue(help.contains(arch), arch + " in " + help);
        assertTrue(help.contains("tinyllama-1.1b") && help.contains("llama-13b") && help.contains("opt-1.3b") && help.contains("gpt2-large"), help);
    }
}

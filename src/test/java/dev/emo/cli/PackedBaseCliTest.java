package dev.emo.cli;

import dev.emo.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --base_dtype} from the command line (#22): a bfloat16 checkpoint generates the same text kept
 * in bfloat16 as inflated to float32 (the same values), and what cannot apply is one line before any work.
 */
class PackedBaseCliTest {
    @TempDir
    Path tmp;

    @Test
    void generateOnABfloat16BaseWritesTheFloat32Text() throws Exception {
        Path bf16 = Fixtures.bf16Checkpoint("stories260k", tmp.resolve("bf16"));
        CliRun packed = CliRun.of("generate", "--model", bf16.toString(), "--prompt", "Once upon a time", "--max_new_tokens", "12");
        CliRun inflated = CliRun.of("generate", "--model", bf16.toString(), "--prompt", "Once upon a time", "--max_new_tokens", "12",
                "--base_dtype", "float32");
        assertEquals(0, packed.code(), packed.err());
        assertEquals(inflated.out(), packed.out(), "greedy text, bfloat16 base (auto) vs float32");
        assertTrue(packed.out().length() > "Once upon a time".length(), packed.out());
        CliRun q8 = CliRun.of("generate", "--model", bf16.toString(), "--prompt", "Once upon a time", "--max_new_tokens", "12", "--base_dtype", "q8_0");
        assertEquals(0, q8.code(), q8.err());
    }

    @Test
    void aPackedBaseWithoutLoraIsRefused() throws Exception {
        Path text = Files.writeString(tmp.resolve("t.txt"), "the cat sat on the mat.\n".repeat(40));
        String m = CliRun.refused(tmp, "finetune", "--model", Fixtures.model("stories260k").toString(), "--train_file", text.toString(),
                "--base_dtype", "bfloat16", "--output_dir", tmp.resolve("out").toString());
        assertTrue(m.startsWith("error: --base_dtype bfloat16: keeps the base frozen in bfloat16") && m.contains("add --lora_r"), m);
        m = CliRun.refused(tmp, "finetune", "--model", Fixtures.model("stories260k").toString(), "--train_file", text.toString(),
                "--lora_r", "4", "--base_dtype", "int4", "--output_dir", tmp.resolve("out").toString());
        assertTrue(m.startsWith("error: --base_dtype: 'int4' is not a storage type; pass one of auto|float32|bfloat16|float16|q8_0"), m);
        m = CliRun.refused(tmp, "generate", "--model", Fixtures.model("stories260k").toString(), "--prompt", "x", "--base_dtype", "fp8");
        assertTrue(m.contains("'fp8' is not a storage type"), m);
    }

    /** A 7B-sized config (stories260k's export beside it: the refusal comes before any weight is read). */
    @Test
    void aStepThatCannotFitIsRefusedBeforeLoading() throws Exception {
        Path big = Fixtures.withConfig("stories260k", tmp.resolve("big"), c -> {
            c.put("hidden_size", 4096);
            c.put("intermediate_size", 11008);
            c.put("num_hidden_layers", 32);
            c.put("num_attention_heads", 32);
            c.put("num_key_value_heads", 32);
        });
        Path text = Files.writeString(tmp.resolve("t.txt"), "the cat sat on the mat.\n".repeat(40));
        String m = CliRun.refused(tmp, "finetune", "--model", big.toString(), "--train_file", text.toString(), "--lora_r", "16",
                "--per_device_train_batch_size", "1", "--block_size", "16", "--output_dir", tmp.resolve("out").toString());
        assertTrue(m.startsWith("error: " + big.resolve("config.json") + ": LoRA r 16 on a float32 base, --per_device_train_batch_size 1 × 16 tokens needs about "), m);
        assertTrue(m.contains("(weights 2") && m.contains("more than this machine's"), "the estimate part by part: " + m);
    }
}

package dev.emo.registry;

import dev.emo.safetensors.SafeTensorsWriter;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * For {@link LoadRssProbe}: {@code java … BigCheckpoint DIR} writes a TinyLlama-1.1B-shaped checkpoint
 * (22 layers, d 2048, 32 heads, 4 KV heads, FFN 5632, vocab 32000; 2.2 GB of BF16) of random finite
 * values into DIR, streamed, so writing it holds a block, not the model.
 */
public final class BigCheckpoint {
    private BigCheckpoint() {}

    public static void main(String[] args) throws Exception {
        Path dir = Files.createDirectories(Path.of(args[0]));
        int layers = 22, d = 2048, kv = 4 * 64, ffn = 5632, vocab = 32000;
        Files.writeString(dir.resolve("config.json"), """
                {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": %d, "hidden_size": %d,
                 "num_hidden_layers": %d, "num_attention_heads": 32, "num_key_value_heads": 4, "intermediate_size": %d,
                 "max_position_embeddings": 2048, "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "hidden_act": "silu",
                 "tie_word_embeddings": false, "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "bfloat16"}
                """.formatted(vocab, d, layers, ffn));
        List<SafeTensorsWriter.Spec> specs = new ArrayList<>();
        specs.add(new SafeTensorsWriter.Spec("model.embed_tokens.weight", "BF16", new long[]{vocab, d}));
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            specs.add(new SafeTensorsWriter.Spec(p + "input_layernorm.weight", "BF16", new long[]{d}));
            specs.add(new SafeTensorsWriter.Spec(p + "self_attn.q_proj.weight", "BF16", new long[]{d, d}));
            specs.add(new SafeTensorsWriter.Spec(p + "self_attn.k_proj.weight", "BF16", new long[]{kv, d}));
            specs.add(new SafeTensorsWriter.Spec(p + "self_attn.v_proj.weight", "BF16", new long[]{kv, d}));
            specs.add(new SafeTensorsWriter.Spec(p + "self_attn.o_proj.weight", "BF16", new long[]{d, d}));
            specs.add(new SafeTensorsWriter.Spec(p + "post_attention_layernorm.weight", "BF16", new long[]{d}));
            specs.add(new SafeTensorsWriter.Spec(p + "mlp.gate_proj.weight", "BF16", new long[]{ffn, d}));
            specs.add(new SafeTensorsWriter.Spec(p + "mlp.up_proj.weight", "BF16", new long[]{ffn, d}));
            specs.add(new SafeTensorsWriter.Spec(p + "mlp.down_proj.weight", "BF16", new long[]{d, ffn}));
        }
        specs.add(new SafeTensorsWriter.Spec("model.norm.weight", "BF16", new long[]{d}));
        specs.add(new SafeTensorsWriter.Spec("lm_head.weight", "BF16", new long[]{vocab, d}));
        SplittableRandom rng = new SplittableRandom(1);
        ByteBuffer block = ByteBuffer.allocate(1 << 22).order(ByteOrder.LITTLE_ENDIAN);
        try (SafeTensorsWriter out = new SafeTensorsWriter(dir.resolve(SafetensorsCheckpoint.SINGLE), specs, Map.of("format", "pt"))) {
            for (SafeTensorsWriter.Spec s : specs) {
                long values = 1;
                for (long n : s.shape()) values *= n;
                while (values > 0) {
                    int n = (int) Math.min(values, block.capacity() / 2);
                    block.clear();
                    // bfloat16 ±[2^-7, 2^-6): a random sign and mantissa, one exponent (finite, weight-sized)
                    for (int i = 0; i < n; i++) block.putShort((short) ((rng.nextInt() & 0x807f) | 0x3c00));
                    out.putRaw(block.flip());
                    values -= n;
                }
            }
            out.commit();
        }
        System.out.printf("wrote %s: %,d MB%n", dir, Files.size(dir.resolve(SafetensorsCheckpoint.SINGLE)) >> 20);
    }
}

package dev.emo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.Fixtures;
import dev.emo.SharedData;
import dev.emo.data.InstructionData;
import dev.emo.registry.ModelFamilies;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `evaluate --perplexity_file` on instruction data (#23): the perplexity of the tokens finetune trains
 * (assistant turns, completions), not of the chat headers; with --reference_model, refused.
 */
@Tag("slow")   // left out of ./run.sh test --fast
class InstructionEvaluateTest {
    @TempDir
    Path tmp;

    private static final Path CHAT = Path.of("src/test/resources/instruction/chat.jsonl");

    @Test
    void perplexityCountsTheTrainedTokensOnly() throws Exception {
        Path model = Fixtures.model("tiny-qwen3"), out = tmp.resolve("eval");
        CliRun r = CliRun.of("evaluate", "--model", model.toString(), "--data", SharedData.data().resolve("ptb/ptb.test.txt").toString(),
                "--protocol", "ptb", "--limit", "2", "--rounds", "1", "--new_tokens", "4", "--featurizer", "self",
                "--perplexity_file", CHAT.toString(), "--output_dir", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode ppl = new ObjectMapper().readTree(out.resolve("evaluation.json").toFile()).get("perplexity");
        List<InstructionData.Example> examples = InstructionData.read(CHAT, ModelFamilies.tokenizer(model),
                new InstructionData.Settings(model, null, true));
        long trained = 0, all = 0;
        for (InstructionData.Example e : examples) {
            for (int j = 1; j < e.labels().length; j++) if (e.labels()[j] != InstructionData.IGNORE) trained++;
            all += e.inputIds().length - 1;
        }
        assertTrue(trained > 0 && trained < all, "the file has masked and trained tokens: " + trained + " of " + all);
        assertEquals(trained, ppl.get("tokens").asLong(), "scored tokens = the trained ones");
        assertTrue(ppl.get("perplexity").asDouble() > 1 && Double.isFinite(ppl.get("perplexity").asDouble()), ppl.toString());
    }

    @Test
    void compareTrainsOnChatDataAndScoresItsTrainedTokens() throws Exception {
        Path out = tmp.resolve("compare");
        CliRun r = CliRun.of("compare", "--objectives", "mle,emo", "--seeds", "1", "--model", Fixtures.model("tiny-qwen3").toString(),
                "--train_file", CHAT.toString(), "--validation_file", CHAT.toString(), "--packing", "--block_size", "64", "--max_steps", "2",
                "--per_device_train_batch_size", "2", "--data", SharedData.data().resolve("ptb/ptb.test.txt").toString(), "--limit", "2",
                "--rounds", "1", "--new_tokens", "4", "--featurizer", "self", "--perplexity_file", CHAT.toString(), "--output_dir", out.toString());
        assertEquals(0, r.code(), r.err());
        for (String objective : new String[] {"mle", "emo"}) {
            JsonNode run = new ObjectMapper().readTree(out.resolve(objective + "-seed1").resolve("run.json").toFile());
            assertTrue(run.toString().contains("\"packing\":true"), objective + " trained packed on the chat file: " + run);
        }
        assertTrue(r.out().contains("test ppl"), r.out());
    }

    @Test
    void withAReferenceModelItIsRefusedBeforeAnyWork() throws Exception {
        Path model = Fixtures.model("tiny-qwen3");
        String line = CliRun.refused(tmp, "evaluate", "--model", model.toString(), "--data", SharedData.data().resolve("ptb/ptb.test.txt").toString(),
                "--reference_model", model.toString(), "--perplexity_file", CHAT.toString(), "--output_dir", tmp.resolve("eval").toString());
        assertTrue(line.contains("chat.jsonl") && line.contains("instruction data") && line.contains("plain-text --perplexity_file"), line);
    }
}

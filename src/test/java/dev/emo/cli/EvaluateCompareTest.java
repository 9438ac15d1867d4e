package dev.emo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.Fixtures;
import dev.emo.SharedData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** evaluate and compare end to end on stories260k + PTB, with budgets small enough for the suite. */
@org.junit.jupiter.api.Tag("slow")   // left out of ./run.sh test --fast
class EvaluateCompareTest {
    @Test
    void evaluateWritesAReportAndTheGenerations(@TempDir Path out) throws Exception {
        Path model = Fixtures.model("stories260k");
        Path ptb = SharedData.data().resolve("ptb").resolve("ptb.test.txt");
        Assumptions.assumeTrue(Files.isRegularFile(ptb), SharedData.missingMessage("data/ptb/ptb.test.txt"));
        CliRun r = CliRun.of("evaluate", "--model", model.toString(), "--data", ptb.toString(), "--protocol", "ptb",
                "--limit", "24", "--rounds", "2", "--new_tokens", "12", "--featurizer", "self", "--oracle_model", model.toString(), "--max_perplexity_texts", "200",
                "--output_dir", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode rep = new ObjectMapper().readTree(out.resolve("evaluation.json").toFile());
        assertEquals(24, rep.get("examples").asInt());
        assertEquals(2, rep.get("rounds").size());
        for (JsonNode round : rep.get("rounds")) {
            double m = round.get("mauve").asDouble();
            assertTrue(m > 0 && m <= 1, "MAUVE " + m);
            assertTrue(round.get("rouge1").asDouble() > round.get("rouge2").asDouble(), "rouge1 ≥ rouge2 on shared prefixes");
            assertTrue(round.get("oraclePerplexity").asDouble() > 1, "oracle perplexity");
        }
        assertTrue(rep.get("perplexity").get("perplexity").asDouble() > 1);
        List<String> gens = Files.readAllLines(out.resolve("generations.jsonl"));
        assertEquals(48, gens.size());
        JsonNode first = new ObjectMapper().readTree(gens.get(0));
        assertTrue(first.get("model").asText().startsWith(first.get("prefix").asText() + " "), "model text = prefix + continuation");
        assertTrue(r.out().contains("MAUVE"), r.out());
    }

    @Test
    void compareTrainsEachObjectiveAndWritesTableAndPlots(@TempDir Path out) throws Exception {
        Fixtures.model("stories260k");
        CliRun r = CliRun.of("compare", "--objectives", "mle,emo", "--seeds", "1", "--output_dir", out.toString(),
                "--limit", "12", "--rounds", "2", "--new_tokens", "8", "--featurizer", "self", "--max_perplexity_texts", "100",
                "--max_steps", "2", "--max_train_samples", "16", "--max_eval_samples", "4", "--eval_steps", "1");
        assertEquals(0, r.code(), r.err());
        List<String> csv = Files.readAllLines(out.resolve("compare.csv"));
        assertEquals(3, csv.size(), String.join("\n", csv));
        assertTrue(csv.get(1).startsWith("mle,1,") && csv.get(2).startsWith("emo,1,"), String.join("\n", csv));
        for (String png : List.of("mauve.png", "training_eval_ppl.png", "training_mle.png", "divergence_curves.png")) {
            byte[] head = Files.readAllBytes(out.resolve(png));
            assertTrue(head.length > 1000 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G', png + " is not a PNG");
        }
        // a second call reuses the finished runs and their evaluations
        CliRun again = CliRun.of("compare", "--objectives", "mle,emo", "--seeds", "1", "--output_dir", out.toString(),
                "--limit", "12", "--rounds", "2", "--new_tokens", "8", "--featurizer", "self", "--max_perplexity_texts", "100", "--max_steps", "2");
        assertEquals(0, again.code(), again.err());
        assertEquals(csv, Files.readAllLines(out.resolve("compare.csv")));
        assertTrue(!again.err().contains("fine-tuning") && !again.err().contains("evaluating"), "nothing redone: " + again.err());
        // other evaluation settings: the runs are reused, their evaluations are not
        CliRun third = CliRun.of("compare", "--objectives", "mle,emo", "--seeds", "1", "--output_dir", out.toString(),
                "--limit", "12", "--rounds", "1", "--new_tokens", "8", "--featurizer", "self", "--max_perplexity_texts", "100");
        assertEquals(0, third.code(), third.err());
        assertTrue(!third.err().contains("fine-tuning") && third.err().contains("evaluating"), third.err());
        JsonNode report = new ObjectMapper().readTree(out.resolve("mle-seed1").resolve("eval").resolve("evaluation.json").toFile());
        assertEquals(1, report.get("rounds").size());
    }
}

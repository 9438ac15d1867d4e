package dev.emo.jobs;

import dev.emo.Fixtures;
import dev.emo.cli.Main;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The oracle experiment end to end at a toy size: corpora from P, runs per objective × seed, a table with p-values against MLE. */
@Tag("slow")   // left out of ./run.sh test --fast
class OracleJobTest {
    @Test
    void samplesTrainsScoresAndTabulates(@TempDir Path out) throws Exception {
        String model = Fixtures.model("stories260k").toString();
        assertEquals(0, Main.execute("oracle", "--oracle_model", model, "--model", model, "--objectives", "mle,emo", "--seeds", "1,2",
                "--train_samples", "48", "--validation_samples", "12", "--test_samples", "40", "--sample_tokens", "128",
                "--max_steps", "2", "--block_size", "32", "--learning_rate", "1e-3", "--limit", "8", "--rounds", "2", "--new_tokens", "8",
                "--featurizer", "self", "--output_dir", out.toString()));
        assertEquals(48, Files.readAllLines(out.resolve("data/train.txt")).size());
        assertEquals(12, Files.readAllLines(out.resolve("data/validation.txt")).size());
        assertEquals(40, Files.readAllLines(out.resolve("data/test.txt")).size());
        List<String> csv = Files.readAllLines(out.resolve("compare.csv"));
        assertEquals(3, csv.size(), String.join("\n", csv));
        String[] header = csv.get(0).split(","), emo = csv.get(2).split(",", -1);
        assertEquals("emo", emo[0]);
        assertEquals("2", emo[1], "two seeds");
        int pMauve = List.of(header).indexOf("mauve_p_vs_mle"), oracle = List.of(header).indexOf("oracle_ppl"),
                fwd = List.of(header).indexOf("forward_ce");
        double p = Double.parseDouble(emo[pMauve]);
        assertTrue(p >= 0 && p <= 1, "a p-value against MLE: " + p);
        assertTrue(Double.parseDouble(emo[oracle]) > 1, "oracle perplexity of the samples");
        assertTrue(Double.parseDouble(emo[fwd]) > 0, "forward cross-entropy P→Q on the validation corpus");
        assertTrue(Files.size(out.resolve("oracle_ppl_vs_mauve.png")) > 1000);
        // a second call reuses the corpora, the runs and their evaluations: same table
        assertEquals(0, Main.execute("oracle", "--oracle_model", model, "--model", model, "--objectives", "mle,emo", "--seeds", "1,2",
                "--train_samples", "48", "--validation_samples", "12", "--test_samples", "40", "--sample_tokens", "128",
                "--max_steps", "2", "--block_size", "32", "--learning_rate", "1e-3", "--limit", "8", "--rounds", "2", "--new_tokens", "8",
                "--featurizer", "self", "--output_dir", out.toString()));
        assertEquals(csv, Files.readAllLines(out.resolve("compare.csv")));
    }
}

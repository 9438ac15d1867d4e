package dev.emo.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.Fixtures;
import dev.emo.UserError;
import dev.emo.cli.Main;
import dev.emo.generation.Sampling;
import dev.emo.models.CausalLM;
import dev.emo.registry.ModelFamilies;
import dev.emo.registry.Models;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** sample: draws follow the model's softmax, the file does not depend on the batch size, and an interrupted run completes exactly. */
@org.junit.jupiter.api.Tag("slow")   // left out of ./run.sh test --fast
class SampleJobTest {
    @TempDir
    Path tmp;

    private SampleJob.Settings settings(int n, int tokens, int batch, Path out) {
        return new SampleJob.Settings(Fixtures.model("stories260k"), null, n, tokens, batch, 7, Sampling.ANCESTRAL, null, out);
    }

    @Test
    void firstTokensOf20000SamplesFollowTheModelsSoftmax() throws Exception {
        Path out = tmp.resolve("first.jsonl");
        SampleJob.prepare(settings(20_000, 1, 500, out)).run(SampleJob.Listener.NONE);
        List<String> lines = Files.readAllLines(out);
        assertEquals(20_000, lines.size());
        Path model = Fixtures.model("stories260k");
        var tok = ModelFamilies.tokenizer(model);
        CausalLM lm = Models.load(model).model();
        INDArray logits = lm.forward(Nd4j.createFromArray(new long[][]{{tok.bosId()}}), Nd4j.createFromArray(new long[][]{{1}}));
        double[] z = logits.reshape(-1).castTo(DataType.DOUBLE).toDoubleVector();
        double max = java.util.Arrays.stream(z).max().orElse(0), sum = 0;
        double[] p = new double[z.length];
        for (int i = 0; i < z.length; i++) sum += p[i] = Math.exp(z[i] - max);
        long[] counts = new long[z.length];
        ObjectMapper json = new ObjectMapper();
        for (String line : lines) {
            JsonNode ids = json.readTree(line).get("ids");
            counts[ids.size() == 0 ? tok.eosId() : ids.get(0).asInt()]++;     // an empty sample drew EOS first
        }
        // chi-square over tokens expected ≥ 5 times, the rest pooled into one bin
        double chi = 0, restObserved = 0, restExpected = 0;
        int bins = 0;
        for (int i = 0; i < z.length; i++) {
            double expected = 20_000 * p[i] / sum;
            if (expected >= 5) {
                chi += (counts[i] - expected) * (counts[i] - expected) / expected;
                bins++;
            } else {
                restObserved += counts[i];
                restExpected += expected;
            }
        }
        if (restExpected >= 5) {
            chi += (restObserved - restExpected) * (restObserved - restExpected) / restExpected;
            bins++;
        }
        double pValue = dev.emo.generation.ChiSquareAccess.survival(chi, bins - 1);
        System.out.printf("[sample] first tokens of 20000 samples: chi² %.1f on %d dof, p = %.3f%n", chi, bins - 1, pValue);
        assertTrue(bins > 10, "enough bins: " + bins);
        assertTrue(pValue > 0.001, "first tokens vs softmax: chi² " + chi + " on " + (bins - 1) + " dof, p " + pValue);
    }

    @Test
    void theSameSeedGivesTheSameFileAtBatchSizes1And16() throws Exception {
        Path one = tmp.resolve("b1.txt"), sixteen = tmp.resolve("b16.txt");
        SampleJob.prepare(settings(24, 16, 1, one)).run(SampleJob.Listener.NONE);
        SampleJob.prepare(settings(24, 16, 16, sixteen)).run(SampleJob.Listener.NONE);
        assertEquals(24, Files.readAllLines(one).size());
        assertArrayEquals(Files.readAllBytes(one), Files.readAllBytes(sixteen));
        assertTrue(new HashSet<>(Files.readAllLines(one)).size() > 12, "samples differ from each other");
    }

    @Test
    void aKilledRunReRunWithTheSameCommandCompletesTheFileExactly() throws Exception {
        Path whole = tmp.resolve("whole.txt"), killed = tmp.resolve("killed.txt");
        List<String> args = List.of("sample", "--model", Fixtures.model("stories260k").toString(), "--num_samples", "240",
                "--max_new_tokens", "24", "--batch_size", "8", "--seed", "9");
        List<String> cmd = dev.emo.ChildJvm.main();
        cmd.addAll(args);
        cmd.addAll(List.of("--output", killed.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (p.isAlive() && System.nanoTime() < deadline && (!Files.exists(killed) || SampleJob.completeLines(killed) < 24)) Thread.sleep(10);
            assertTrue(p.isAlive(), "still sampling when killed: " + Files.readString(tmp.resolve("child.log")));
        } finally {
            p.destroyForcibly();    // SIGKILL
            p.waitFor();
        }
        int before = SampleJob.completeLines(killed);
        assertTrue(before >= 24 && before < 240, "killed mid-way, at " + before + " samples");

        List<String> resume = new ArrayList<>(args);
        resume.addAll(List.of("--batch_size", "16", "--output", killed.toString()));      // another batch size: the same file
        resume.remove(resume.indexOf("--batch_size") + 1);
        resume.remove(resume.indexOf("--batch_size"));
        assertEquals(0, Main.execute(resume.toArray(String[]::new)));
        List<String> uninterrupted = new ArrayList<>(resume);
        uninterrupted.set(uninterrupted.indexOf("--output") + 1, whole.toString());
        assertEquals(0, Main.execute(uninterrupted.toArray(String[]::new)));
        assertEquals(240, Files.readAllLines(killed).size(), "exactly N complete samples");
        assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(killed), "byte-identical to an uninterrupted run");
    }

    @Test
    void otherSettingsOrAForeignFileAreRefusedAndLeftAlone() throws Exception {
        Path out = tmp.resolve("c.txt");
        SampleJob.prepare(settings(4, 8, 4, out)).run(SampleJob.Listener.NONE);
        byte[] before = Files.readAllBytes(out);
        UserError e = assertThrows(UserError.class, () -> SampleJob.prepare(
                new SampleJob.Settings(Fixtures.model("stories260k"), null, 4, 8, 4, 8, Sampling.ANCESTRAL, null, out)));
        assertTrue(e.getMessage().contains("other settings"), e.getMessage());
        Path mine = Files.writeString(tmp.resolve("mine.txt"), "my own notes\n");
        e = assertThrows(UserError.class, () -> SampleJob.prepare(settings(4, 8, 4, mine)));
        assertTrue(e.getMessage().contains("not written by sample"), e.getMessage());
        assertEquals("my own notes\n", Files.readString(mine));
        assertArrayEquals(before, Files.readAllBytes(out));
        assertTrue(assertThrows(UserError.class, () -> settings(0, 8, 4, out)).getMessage().contains("--num_samples 0"));
        assertTrue(assertThrows(UserError.class, () -> SampleJob.prepare(settings(4, 100_000, 4, tmp.resolve("x.txt"))))
                .getMessage().contains("positions"));
        assertFalse(Files.exists(tmp.resolve("x.txt")));
    }
}

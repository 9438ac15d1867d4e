package dev.emo.training;

import dev.emo.Fixtures;
import dev.emo.data.Blocks;
import dev.emo.registry.Models;
import dev.emo.objectives.CostEmbedding;
import dev.emo.objectives.Objective;
import dev.emo.onnx.ParityCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A run stopped mid-epoch (after its step-4 checkpoint, during step 5) and resumed from its latest
 * checkpoint produces the same per-step losses as an uninterrupted run with the same seed; the
 * best/ export agrees with ONNX Runtime.
 */
@org.junit.jupiter.api.Tag("slow")   // left out of ./run.sh test --fast
class ResumeTest {
    @TempDir
    Path tmp;

    static final class Stop extends RuntimeException {}

    private static TrainingArgs args(Path out) {
        // 12 examples, 2 per step: 6 steps an epoch, 2 epochs; evaluate every 4 steps, checkpoint every 2
        return new TrainingArgs(3e-3, 0.01, 0.9, 0.999, 1e-8, 0.0, 2, 2, 4, 1, 1.0, 2, -1, 7, 4, 2, 1, out);
    }

    private static Blocks.Examples data(int n, int block, long seed) {
        Random r = new Random(seed);
        List<int[]> docs = new ArrayList<>();
        for (int d = 0; d < n; d++) {
            int[] doc = new int[block];
            for (int i = 0; i < block; i++) doc[i] = 3 + r.nextInt(200);
            docs.add(doc);
        }
        return Blocks.grouped(docs, block);
    }

    private FineTuner tuner(Path out) {
        Path dir = Fixtures.model("stories260k");
        Models.Loaded loaded = Models.load(dir);
        var cost = CostEmbedding.normalizedCopy(loaded.model().lmHead().getArr());
        return new FineTuner(loaded, dir, args(out), Objective.of("emo"), cost, RunFolder.unlocked(out));
    }

    @Test
    void resumedRunRepeatsTheUninterruptedLosses() throws Exception {
        Blocks.Examples train = data(12, 16, 1), val = data(4, 16, 2);
        FineTuner full = tuner(tmp.resolve("full"));
        full.train(train, val);
        List<Double> expected = full.stepLosses();
        assertEquals(12, expected.size());

        Path out = tmp.resolve("killed");
        FineTuner first = tuner(out);
        first.onStep(s -> {
            if (s == 5) throw new Stop(); // dies after checkpoint-4, before checkpoint-6
        });
        assertThrows(Stop.class, () -> first.train(train, val));
        assertTrue(Files.isDirectory(out.resolve("checkpoint-4")), "checkpoint-4 was written");

        FineTuner second = tuner(out);
        second.resume(FineTuner.latestCheckpoint(out));
        assertEquals(4, second.step());
        second.train(train, val);
        List<Double> resumed = second.stepLosses();
        assertEquals(expected.size(), resumed.size());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i), resumed.get(i), 1e-6, "loss of step " + (i + 1));
        }

        Path best = out.resolve("best");
        Models.Loaded tuned = Models.load(best);
        ParityCheck.Result r = ParityCheck.run(tuned.model(), tuned.onnx().file(), 2, 16, 3);
        assertTrue(r.passed(), "best/model.onnx in ONNX Runtime vs our graph: " + r);
        try (var s = Files.list(out)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temp folders left");
        }
    }
}

package dev.emo.onnx;

import dev.emo.Fixtures;
import dev.emo.cli.Main;
import dev.emo.registry.Models;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #11: `verify` threw a NullPointerException on LLaMA exports that take position_ids, the
 * layout of current Optimum exports. Such exports are derived here from the fixtures (GPT-2 and
 * LLaMA); verify passes on them, and the graph really reads the fed positions.
 */
class PositionIdsExportTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2", "stories260k"})
    void verifyPassesOnAnExportThatTakesPositionIds(String name) throws Exception {
        Path src = Fixtures.model(name);
        String positions = name.equals("stories260k") ? PositionIdsExports.llamaPositions(src) : PositionIdsExports.gpt2Positions(src);
        Path derived = PositionIdsExports.derive(src, positions, tmp.resolve(name));

        Models.Loaded loaded = Models.load(derived);
        try (OrtRunner ort = new OrtRunner(loaded.onnx().file())) {
            assertTrue(ort.inputNames().contains("position_ids"), "the derived export takes position_ids: " + ort.inputNames());
            // the positions are really read: fed in reverse order, the logits move (a uniform shift would not show with RoPE)
            int t = 32;
            long[] tokens = new long[t], reversed = new long[t];
            for (int i = 0; i < t; i++) {
                tokens[i] = 3 + (i * 37) % 200;
                reversed[i] = t - 1 - i;
            }
            INDArray ids = Nd4j.createFromArray(new long[][]{tokens}), mask = Nd4j.onesLike(ids);
            INDArray pos = loaded.model().exportPositionIds(mask);
            INDArray moved = Nd4j.createFromArray(new long[][]{reversed});
            double change = ort.logits(ids, mask, pos).sub(ort.logits(ids, mask, moved)).amaxNumber().doubleValue();
            assertTrue(change > 10 * ParityCheck.TOLERANCE, "reversed positions changed the logits by only " + change);
        }
        ParityCheck.Result r = ParityCheck.run(loaded.model(), loaded.onnx().file(), 3, 16, 1234);
        assertTrue(r.passed(), "ONNX Runtime with position_ids vs our graph: " + r);
        assertEquals(0, Main.execute("verify", "--model", derived.toString(), "--batch", "2", "--length", "12"), "verify's exit code");
    }
}

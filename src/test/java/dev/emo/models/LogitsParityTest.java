package dev.emo.models;

import dev.emo.registry.Models;
import dev.emo.Fixtures;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Our SameDiff graph reproduces the exporter's reference logits, for every model folder found. */
class LogitsParityTest {
    static final double TOLERANCE = 1e-4;

    @TestFactory
    Stream<DynamicTest> logitsMatchReference() {
        return Fixtures.modelsWith("logits.npy").stream().map(dir -> DynamicTest.dynamicTest(
                dir.getFileName().toString(), () -> check(dir)));
    }

    private static void check(Path dir) {
        long t0 = System.nanoTime();
        CausalLM model = Models.load(dir).model();
        long loadMs = (System.nanoTime() - t0) / 1_000_000;
        INDArray ids = Fixtures.npy(dir, "input_ids.npy");
        INDArray mask = Fixtures.npy(dir, "attention_mask.npy");
        INDArray expected = Fixtures.npy(dir, "logits.npy").castTo(DataType.FLOAT);
        INDArray actual = model.forward(ids, mask);
        assertArrayEquals(expected.shape(), actual.shape(), "logits shape");
        double maxAbs = actual.sub(expected).amaxNumber().doubleValue();
        System.out.printf("[parity] %-22s max|Δlogit| = %.3e  (load %d ms)%n", dir.getFileName(), maxAbs, loadMs);
        assertTrue(maxAbs <= TOLERANCE, dir.getFileName() + ": max abs logit error " + maxAbs + " > " + TOLERANCE);
    }
}

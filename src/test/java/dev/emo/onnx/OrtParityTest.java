package dev.emo.onnx;

import dev.emo.SharedData;
import dev.emo.registry.Models;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** `verify`'s check on every export found: SameDiff vs ONNX Runtime on a padded random batch. */
class OrtParityTest {
    @TestFactory
    Stream<DynamicTest> sameDiffMatchesOnnxRuntime() {
        Assumptions.assumeTrue(SharedData.present(), SharedData.missingMessage("fixture root"));
        return SharedData.modelDirs().stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> {
            Models.Loaded loaded = Models.load(dir);
            ParityCheck.Result r = ParityCheck.run(loaded.model(), loaded.onnx().file(), 3, 24, 7);
            System.out.printf("[ort] %-22s max|Δlogit| real %.3e, all %.3e%n", dir.getFileName(), r.maxAbsReal(), r.maxAbsAll());
            assertTrue(r.passed(), dir + ": " + r);
            // the fixtures' exports also agree at padded positions: we reproduce their position/mask rules exactly
            assertTrue(r.maxAbsAll() <= ParityCheck.TOLERANCE, dir + ": padded positions differ: " + r);
        }));
    }
}

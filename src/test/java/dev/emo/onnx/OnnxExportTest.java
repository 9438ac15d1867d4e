package dev.emo.onnx;

import dev.emo.SharedData;
import dev.emo.models.CausalLM;
import dev.emo.registry.Models;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Changed weights written back into each export's own layout load back bit for bit, and ONNX
 * Runtime on the written file agrees with our graph on the changed weights (≤ 1e-4).
 */
class OnnxExportTest {
    @TempDir
    Path tmp;

    @TestFactory
    Stream<DynamicTest> tunedWeightsRoundTrip() {
        Assumptions.assumeTrue(SharedData.present(), SharedData.missingMessage("fixture root"));
        return SharedData.modelDirs().stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> {
            Models.Loaded loaded = Models.load(dir);
            CausalLM model = loaded.model();
            Nd4j.getRandom().setSeed(11);
            for (INDArray w : model.weights().values()) w.addi(Nd4j.randn(DataType.FLOAT, w.shape()).muli(0.02));
            Path out = tmp.resolve(dir.getFileName().toString());
            Path written = ModelFolderWriter.write(model, loaded.onnx(), dir, out);

            assertEquals(loaded.onnx().file().getFileName(), written.getFileName(), "same layout, same file name");
            for (String side : ModelFolderWriter.SIDE_FILES) {
                assertEquals(Files.exists(dir.resolve(side)), Files.exists(out.resolve(side)), side);
            }
            if (Files.exists(dir.resolve("model.onnx_data"))) assertTrue(Files.exists(out.resolve("model.onnx_data")), "external data kept");
            try (Stream<Path> files = Files.list(out)) {
                assertTrue(files.noneMatch(p -> p.toString().endsWith(".tmp")), "no temp files left");
            }

            Models.Loaded reloaded = Models.load(out);
            for (Map.Entry<String, INDArray> e : model.weights().entrySet()) {
                assertEquals(e.getValue(), reloaded.model().weights().get(e.getKey()), e.getKey() + " round-trips exactly");
            }
            ParityCheck.Result r = ParityCheck.run(model, written, 2, 16, 5);
            System.out.printf("[export] %-22s ORT on written file vs SameDiff: max|Δlogit| %.2e%n", dir.getFileName(), r.maxAbsAll());
            assertTrue(r.passed(), r.toString());
        }));
    }
}

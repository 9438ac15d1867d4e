package dev.emo.objectives;

import dev.emo.Fixtures;
import dev.emo.models.CausalLM;
import dev.emo.registry.Models;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fused loss op reproduces every objective's reference loss (1e-5 relative) and, where given,
 * its gradient w.r.t. the logits (1e-4 relative, norm-wise), from our own forward pass.
 */
class LossParityTest {
    @TestFactory
    Stream<DynamicNode> everyObjectiveOfEveryModel() {
        return Fixtures.modelsWith("manifest.json").stream()
                .filter(d -> !ReferenceObjectives.read(d).isEmpty())
                .map(dir -> DynamicContainer.dynamicContainer(dir.getFileName().toString(), cases(dir)));
    }

    private Stream<DynamicNode> cases(Path dir) {
        Loaded l = new Loaded(dir);
        return ReferenceObjectives.read(dir).entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            FusedLmLoss.Result r = new FusedLmLoss(e.getValue()).compute(l.logits2d, l.targets, l.costEmbed);
            double expected = Fixtures.npy(dir, e.getKey() + ".loss.npy").getDouble(0);
            System.out.printf("[loss] %-22s %-18s ours %.7f ref %.7f%n", dir.getFileName(), e.getKey(), r.loss(), expected);
            assertEquals(expected, r.loss(), 1e-5 * Math.abs(expected), "loss");
            Path gradFile = dir.resolve("reference").resolve(e.getKey() + ".grad_logits.npy");
            if (Files.isRegularFile(gradFile)) {
                INDArray ref = Fixtures.npy(dir, e.getKey() + ".grad_logits.npy").castTo(DataType.FLOAT).reshape(r.gradLogits().shape());
                double rel = r.gradLogits().sub(ref).norm2Number().doubleValue() / ref.norm2Number().doubleValue();
                System.out.printf("[grad] %-22s %-18s |Δ|/|ref| %.2e%n", dir.getFileName(), e.getKey(), rel);
                assertTrue(rel <= 1e-4, "grad_logits relative error " + rel);
            }
        }));
    }

    /** The fixture batch run through our graph, flattened for the loss. */
    static final class Loaded {
        final INDArray logits2d;
        final int[] targets;
        final INDArray costEmbed;

        Loaded(Path dir) {
            CausalLM model = Models.load(dir).model();
            INDArray logits = model.forward(Fixtures.npy(dir, "input_ids.npy"), Fixtures.npy(dir, "attention_mask.npy"));
            logits2d = logits.reshape(-1, logits.size(2));
            targets = FusedLmLoss.shiftedTargets(Fixtures.npy(dir, "labels.npy"));
            costEmbed = CostEmbedding.normalizedCopy(model.lmHead().getArr());
        }
    }
}

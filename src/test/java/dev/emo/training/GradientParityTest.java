package dev.emo.training;

import dev.emo.Fixtures;
import dev.emo.models.CausalLM;
import dev.emo.registry.Models;
import dev.emo.objectives.CostEmbedding;
import dev.emo.objectives.FusedLmLoss;
import dev.emo.objectives.Objective;
import dev.emo.objectives.ReferenceObjectivesAccess;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gradients of every parameter listed in {@code <objective>.grad_params.npz}, through the whole
 * graph (external loss gradient + SameDiff backward + the gather fix), match PyTorch's to 1e-4
 * relative (norm-wise, per parameter), with two measured allowances:
 * <ul>
 * <li>A gradient far smaller than the others is float32 rounding of the larger ones on both sides
 *     (OPT's key bias is analytically zero: it adds the same q·b to every score of a query, which
 *     softmax ignores; tiny-qwen2's q/k gradients under DEMD are 2e-4 of the largest, and any float32
 *     backward puts ~2e-7 of the largest norm on them: against float64 finite differences PyTorch's
 *     are 7e-5 off, ours 5e-4, ND4J's primitives 1.4e-3). So the error is measured against at least
 *     {@value #FLOOR} × the largest reference norm: 5e-7 of it, about 8 float32 ulps, passes.</li>
 * <li>{@link #REFERENCE_ERROR}: where the reference itself is further from float64 than the
 *     tolerance, the tolerance grows by that measured distance.</li>
 * </ul>
 */
class GradientParityTest {
    static final double TOLERANCE = 1e-4;
    static final double FLOOR = 5e-3;

    /**
     * The reference's own distance from float64, per fixture and objective, where it exceeds the
     * tolerance: DEMD's gradient over a 128k/152k vocabulary in float32 (q·(1−s) − demd summed with
     * cancellation). Measured against central differences (h = 1e-5) of a float64 NumPy forward of
     * the same weights, on model.norm.weight, the worst parameter: the reference is 1.75e-4
     * (tiny-llama3) and 1.48e-4 (tiny-qwen3) away, ours 4.5e-6 and 1.6e-6. The reference losses show
     * the same: tiny-llama3 demd 1.0707337 (reference), 1.0707320 (ours), 1.07073203 (float64).
     */
    static final Map<String, Double> REFERENCE_ERROR = Map.of("tiny-llama3/demd", 1.75e-4, "tiny-qwen3/demd", 1.48e-4);

    @TestFactory
    Stream<DynamicNode> parameterGradients() {
        return Fixtures.modelsWith("manifest.json").stream()
                .filter(d -> !ReferenceObjectivesAccess.read(d).isEmpty())
                .map(dir -> DynamicContainer.dynamicContainer(dir.getFileName().toString(), cases(dir)));
    }

    private Stream<DynamicNode> cases(Path dir) {
        CausalLM model = Models.load(dir).model();
        GraphTrainer trainer = new GraphTrainer(model);
        INDArray ids = Fixtures.npy(dir, "input_ids.npy"), mask = Fixtures.npy(dir, "attention_mask.npy");
        int[] targets = FusedLmLoss.shiftedTargets(Fixtures.npy(dir, "labels.npy"));
        INDArray cost = CostEmbedding.normalizedCopy(model.lmHead().getArr());
        return ReferenceObjectivesAccess.read(dir).entrySet().stream()
                .filter(e -> Files.isRegularFile(dir.resolve("reference/" + e.getKey() + ".grad_params.npz")))
                .map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
                    GraphTrainer.Step s = trainer.step(ids, mask, targets, new FusedLmLoss(e.getValue()), cost);
                    Map<String, INDArray> ref = Fixtures.npz(dir, e.getKey() + ".grad_params.npz");
                    assertFalse(ref.isEmpty());
                    double floor = FLOOR * ref.values().stream().mapToDouble(a -> a.norm2Number().doubleValue()).max().orElse(0);
                    double worst = 0;
                    String worstName = "";
                    for (Map.Entry<String, INDArray> r : ref.entrySet()) {
                        INDArray ours = s.grads().get(r.getKey());
                        assertNotNull(ours, "no gradient for " + r.getKey());
                        INDArray want = r.getValue().castTo(DataType.FLOAT).reshape(ours.shape());
                        double rel = ours.sub(want).norm2Number().doubleValue() / Math.max(floor, want.norm2Number().doubleValue());
                        if (rel > worst) {
                            worst = rel;
                            worstName = r.getKey();
                        }
                    }
                    System.out.printf("[grad-params] %-22s %-18s %3d params, worst |Δ|/|ref| %.2e (%s)%n",
                            dir.getFileName(), e.getKey(), ref.size(), worst, worstName);
                    double tolerance = TOLERANCE + REFERENCE_ERROR.getOrDefault(dir.getFileName() + "/" + e.getKey(), 0.0);
                    assertTrue(worst <= tolerance, worstName + ": " + worst + " > " + tolerance);
                }));
    }
}

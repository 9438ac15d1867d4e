package dev.emo.training;

import dev.emo.Fixtures;
import dev.emo.data.Blocks;
import dev.emo.data.InstructionData;
import dev.emo.data.Packing;
import dev.emo.models.CausalLM;
import dev.emo.objectives.CostEmbedding;
import dev.emo.objectives.FusedLmLoss;
import dev.emo.objectives.Objective;
import dev.emo.registry.Models;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Packing changes nothing but speed: for every objective, the loss and every parameter's gradient of
 * four instruction examples (prompt tokens masked) packed two to a row equal those of the same examples
 * one a row, right-padded per batch. Every objective is a token mean over the kept labels, and packed
 * examples neither see each other nor predict each other's first token.
 */
class PackedTrainingTest {
    private static final int[] LENGTHS = {9, 5, 12, 6}, PROMPTS = {4, 2, 7, 1};
    private static final int BLOCK = 20;

    @TestFactory
    Stream<DynamicTest> packedEqualsUnpacked() {
        return Stream.of("stories260k", "tiny-opt").map(name -> DynamicTest.dynamicTest(name, () -> {
            CausalLM model = Models.load(Fixtures.model(name)).model();
            GraphTrainer trainer = new GraphTrainer(model);
            INDArray cost = CostEmbedding.normalizedCopy(model.lmHead().getArr());
            List<InstructionData.Example> examples = examples(model.config().vocabSize());
            Batch packed = all(Packing.rows(examples, BLOCK, true).rows()), unpacked = all(Packing.rows(examples, BLOCK, false).rows());
            assertEquals(2, packed.ids().size(0), "two rows packed");
            assertEquals(4, unpacked.ids().size(0), "one row an example");
            assertEquals(null, unpacked.segments(), "unpacked rows take the model's ordinary path");
            StringBuilder measured = new StringBuilder(name);
            for (String kind : Objective.KINDS) {
                FusedLmLoss loss = new FusedLmLoss(Objective.of(kind));
                GraphTrainer.Step a = copy(trainer.step(packed, loss, cost)), b = copy(trainer.step(unpacked, loss, cost));
                assertEquals(b.loss().tokens(), a.loss().tokens(), kind + ": the same trained tokens");
                double lossRel = Math.abs(a.loss().loss() - b.loss().loss()) / Math.abs(b.loss().loss()), gradRel = 0;
                gradRel = worstRelative(a.grads(), b.grads());
                measured.append(String.format(" %s: loss %.1e grad %.1e;", kind, lossRel, gradRel));
                assertTrue(lossRel <= 1e-5, kind + ": loss packed " + a.loss().loss() + " vs unpacked " + b.loss().loss());
                assertTrue(gradRel <= 1e-5, kind + ": worst relative gradient difference " + gradRel);
            }
            System.out.println("packed vs unpacked, relative: " + measured);
        }));
    }

    /**
     * The largest ‖got − want‖ / ‖want‖ over the parameters, each norm floored at 1e-3 of the largest gradient's:
     * a key bias's gradient is 0 in exact arithmetic (the softmax over keys ignores a shift shared by all keys),
     * so its float32 value (OPT: ~1e-11) is rounding noise that no relative measure can compare.
     */
    private static double worstRelative(Map<String, INDArray> got, Map<String, INDArray> want) {
        double largest = want.values().stream().mapToDouble(g -> g.norm2Number().doubleValue()).max().orElse(0), worst = 0;
        for (String p : want.keySet()) {
            double norm = Math.max(want.get(p).norm2Number().doubleValue(), 1e-3 * largest);
            worst = Math.max(worst, got.get(p).sub(want.get(p)).norm2Number().doubleValue() / norm);
        }
        return worst;
    }

    /** Random ids; the first PROMPTS[e] labels masked as a prompt's are. */
    private static List<InstructionData.Example> examples(int vocab) {
        Random r = new Random(7);
        List<InstructionData.Example> out = new ArrayList<>();
        for (int e = 0; e < LENGTHS.length; e++) {
            int[] ids = r.ints(LENGTHS[e], 0, vocab).toArray(), labels = ids.clone();
            Arrays.fill(labels, 0, PROMPTS[e], InstructionData.IGNORE);
            out.add(new InstructionData.Example(e + 1, ids, labels));
        }
        return out;
    }

    private static Batch all(List<Packing.Row> rows) {
        int[] all = new int[rows.size()];
        for (int i = 0; i < all.length; i++) all[i] = i;
        return FineTuner.batch(Blocks.of(rows, BLOCK), all);
    }

    /** The step's gradients copied out of the trainer's reused buffers. */
    private static GraphTrainer.Step copy(GraphTrainer.Step s) {
        Map<String, INDArray> grads = new LinkedHashMap<>();
        s.grads().forEach((k, v) -> grads.put(k, v.dup()));
        return new GraphTrainer.Step(s.loss(), grads);
    }
}

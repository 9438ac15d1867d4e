package dev.emo.models;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emo.Fixtures;
import dev.emo.registry.ModelFamilies;
import dev.emo.registry.Models;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The family fields that change the math are read: Llama 3.x's rope_scaling and Mistral's
 * sliding_window each change the logits when dropped; the same scaling written as transformers v5's
 * rope_parameters, or under the older key "type", gives the reference logits; the rotary frequency
 * bands are the ones transformers computes.
 */
class FamilyConfigFieldsTest {
    @TempDir
    Path tmp;

    /** Max |Δ| between a fixture's reference logits and ours with its config edited. */
    private double logitError(String fixture, String name, Consumer<ObjectNode> edit) throws IOException {
        Path dir = Fixtures.withConfig(fixture, tmp.resolve(name), edit), src = Fixtures.model(fixture);
        INDArray expected = Fixtures.npy(src, "logits.npy").castTo(DataType.FLOAT);
        INDArray actual = Models.load(dir).model().forward(Fixtures.npy(src, "input_ids.npy"), Fixtures.npy(src, "attention_mask.npy"));
        return actual.sub(expected).amaxNumber().doubleValue();
    }

    @Test
    void droppingLlama3ScalingChangesTheLogits() throws IOException {
        double err = logitError("tiny-llama3", "no-scaling", c -> c.remove("rope_scaling"));
        assertTrue(err > 1e-2, "without rope_scaling the logits should be off, max |Δ| " + err);
    }

    @Test
    void droppingMistralsWindowChangesTheLogits() throws IOException {
        double err = logitError("tiny-mistral", "no-window", c -> c.putNull("sliding_window"));   // 24 tokens, window 8
        assertTrue(err > 1e-3, "without sliding_window the logits should be off, max |Δ| " + err);
    }

    @Test
    void transformersV5RopeParametersGiveTheReference() throws IOException {
        double err = logitError("tiny-llama3", "v5", c -> {
            ObjectNode rope = (ObjectNode) c.remove("rope_scaling");
            rope.set("rope_theta", c.remove("rope_theta"));   // v5 keeps θ inside rope_parameters
            c.set("rope_parameters", rope);
        });
        assertTrue(err <= LogitsParityTest.TOLERANCE, "v5 config: max |Δ| " + err);
    }

    @Test
    void theOlderKeyTypeGivesTheReference() throws IOException {
        double err = logitError("tiny-llama3", "type-key", c -> {
            ObjectNode rope = (ObjectNode) c.get("rope_scaling");
            rope.set("type", rope.remove("rope_type"));
        });
        assertTrue(err <= LogitsParityTest.TOLERANCE, "'type' alias: max |Δ| " + err);
    }

    @Test
    void llama3KeepsDividesAndSmoothsTheBandsOfTheFixture() {
        // tiny-llama3: head_dim 16, θ 10000, factor 8, low 1, high 4, original 64 → wavelengths 2π·θ^(2i/16)
        ModelConfig c = ModelFamilies.config(Fixtures.model("tiny-llama3"));
        assertEquals("llama3", c.ropeScaling().type());
        float[] plain = RopeScaling.NONE.inverseFrequencies(c.ropeTheta(), c.headDim());
        float[] scaled = c.ropeScaling().inverseFrequencies(c.ropeTheta(), c.headDim());
        assertEquals(plain[0], scaled[0], "wavelength 6.3 < 64/4: kept");
        for (int i = 1; i <= 2; i++) {   // wavelengths 19.9 and 62.8: between the bands, smoothed
            assertTrue(scaled[i] < plain[i] && scaled[i] > plain[i] / 8, "band " + i + " smoothed: " + scaled[i] + " of " + plain[i]);
        }
        for (int i = 3; i < plain.length; i++) assertEquals(plain[i] / 8, scaled[i], 1e-9 * plain[i], "wavelength > 64: divided by 8");
        // the smoothed value, from transformers' formula in double
        double wavelen = 2 * Math.PI / plain[1], smooth = (64 / wavelen - 1) / (4 - 1);
        assertEquals((1 - smooth) * plain[1] / 8 + smooth * plain[1], scaled[1], 1e-6 * plain[1]);
    }

    @Test
    void linearDividesEveryFrequency() {
        float[] plain = RopeScaling.NONE.inverseFrequencies(1e6, 12);
        float[] linear = new RopeScaling("linear", 4, 0, 0, 0).inverseFrequencies(1e6, 12);
        float[] quarter = new float[plain.length];
        for (int i = 0; i < plain.length; i++) quarter[i] = plain[i] / 4;
        assertArrayEquals(quarter, linear, 1e-12f);
        assertEquals(1f, plain[0]);
    }
}

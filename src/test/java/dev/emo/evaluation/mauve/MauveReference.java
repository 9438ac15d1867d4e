package dev.emo.evaluation.mauve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emo.SharedData;
import org.junit.jupiter.api.Assumptions;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Test access to {@code reference/mauve/} (mauve-text's own outputs); skips where it is absent. */
final class MauveReference {
    private MauveReference() {}

    static Path dir() {
        Path dir = SharedData.root().resolve("reference").resolve("mauve");
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("mauve_reference.json")),
                SharedData.missingMessage("reference/mauve/mauve_reference.json"));
        return dir;
    }

    static JsonNode json() {
        try {
            return new ObjectMapper().readTree(dir().resolve("mauve_reference.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<JsonNode> list(JsonNode array) {
        List<JsonNode> out = new ArrayList<>();
        array.forEach(out::add);
        return out;
    }

    static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asDouble();
        return out;
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    static double[][] points(JsonNode array) {
        double[][] out = new double[array.size()][];
        for (int i = 0; i < out.length; i++) out[i] = doubles(array.get(i));
        return out;
    }

    /** A feature matrix named by a case's {@code p_file}/{@code q_file}. */
    static float[][] features(String relativePath) {
        Path file = dir().resolve(relativePath);
        Assumptions.assumeTrue(Files.isRegularFile(file), SharedData.missingMessage("reference/mauve/" + relativePath));
        return Nd4j.createFromNpyFile(file.toFile()).toFloatMatrix();
    }

    /** max |a − b| over two curves of equal shape (∞ if the shapes differ). */
    static double maxAbsDiff(double[][] a, double[][] b) {
        if (a.length != b.length) return Double.POSITIVE_INFINITY;
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, maxAbsDiff(a[i], b[i]));
        return m;
    }

    static double maxAbsDiff(double[] a, double[] b) {
        if (a.length != b.length) return Double.POSITIVE_INFINITY;
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b[i]) continue; // also equal infinities
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}

package dev.emo.objectives;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The objectives a fixture's reference/manifest.json lists, as our {@link Objective}s. */
final class ReferenceObjectives {
    private ReferenceObjectives() {}

    static Map<String, Objective> read(Path modelDir) {
        try {
            JsonNode m = new ObjectMapper().readTree(modelDir.resolve("reference/manifest.json").toFile());
            Map<String, Objective> out = new LinkedHashMap<>();
            m.path("objectives").fields().forEachRemaining(e -> out.put(e.getKey(), toObjective(e.getValue())));
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode entry(Path modelDir, String name) throws IOException {
        return new ObjectMapper().readTree(modelDir.resolve("reference/manifest.json").toFile()).path("objectives").path(name);
    }

    static Objective toObjective(JsonNode spec) {
        JsonNode p = spec.path("params");
        Objective o = Objective.of(spec.get("objective").asText());
        if (p.has("cap")) o = o.withRatioCap(p.get("cap").asDouble());
        if (p.has("gold_detach")) o = o.withGoldDetach(p.get("gold_detach").asBoolean());
        if (p.has("eta")) o = o.withEta(p.get("eta").asDouble());
        if (p.has("gamma") || p.has("min_weight")) o = o.withTailr(p.path("gamma").asDouble(0.5), p.path("min_weight").asDouble(0));
        for (var it = p.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!java.util.Set.of("cap", "gold_detach", "eta", "gamma", "min_weight").contains(k)) {
                throw new IllegalStateException("manifest parameter '" + k + "' is not understood");
            }
        }
        return o;
    }
}

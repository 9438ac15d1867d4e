package dev.emo.objectives;

import java.nio.file.Path;
import java.util.Map;

/** Test-side access to {@link ReferenceObjectives} from other packages. */
public final class ReferenceObjectivesAccess {
    private ReferenceObjectivesAccess() {}

    public static Map<String, Objective> read(Path modelDir) {
        return ReferenceObjectives.read(modelDir);
    }
}

package dev.emo.util;

import dev.emo.UserError;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Checks on the comma-separated lists flags take. */
public final class Lists {
    private Lists() {}

    /**
     * A value named twice (--seeds 1,1, --objectives mle,mle, --lora_target_modules q_proj,q_proj) would
     * run or count the same thing twice (a table's sd of 0 from one run counted twice), so it is refused.
     */
    public static void requireDistinct(String flag, List<?> values) {
        if (values == null) return;
        Set<Object> seen = new HashSet<>();
        for (Object v : values) {
            if (!seen.add(v)) {
                throw new UserError(flag + " " + String.join(",", values.stream().map(String::valueOf).toList()) + ": " + v
                        + " is named twice; name each value once");
            }
        }
    }
}

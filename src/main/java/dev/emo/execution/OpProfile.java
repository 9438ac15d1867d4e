package dev.emo.execution;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Time per op type across every executor, when the JVM runs with {@code -Demo.profile=true}
 * (benchmarks print it with {@link #report()}). Off by default: then it costs one branch per op.
 */
public final class OpProfile {
    static final boolean ENABLED = Boolean.getBoolean("emo.profile");
    private static final Map<String, LongAdder[]> TOTALS = new ConcurrentHashMap<>();

    private OpProfile() {}

    /** Whether op times are being collected (-Demo.profile=true). */
    public static boolean enabled() {
        return ENABLED;
    }

    /** Adds time under a name: an op type, or work outside the graph (the loss op, the optimizer); call only when {@link #enabled()}. */
    public static void add(String opName, long nanos) {
        LongAdder[] t = TOTALS.computeIfAbsent(opName, k -> new LongAdder[]{new LongAdder(), new LongAdder()});
        t[0].add(nanos);
        t[1].increment();
    }

    /** Op types by total time, then clears the totals; empty when profiling is off. */
    public static String report() {
        StringBuilder sb = new StringBuilder();
        TOTALS.entrySet().stream()
                .sorted((a, b) -> Long.compare(b.getValue()[0].sum(), a.getValue()[0].sum()))
                .forEach(e -> sb.append(String.format("  %-22s %9.1f ms  %6d calls%n", e.getKey(),
                        e.getValue()[0].sum() / 1e6, e.getValue()[1].sum())));
        TOTALS.clear();
        return sb.toString();
    }
}

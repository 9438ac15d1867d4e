package dev.emo.util;

import dev.emo.UserError;

/**
 * Rough sizes of what a setting asks libnd4j and the JVM to hold, checked before any work: a
 * product such as batch × length × vocabulary that no machine here can hold fails as one line
 * naming the flag instead of as an OutOfMemoryError, a native allocation failure or a crash
 * after the run folder was written (the model's own estimate: ModelConfig.activationBytes). The estimates are lower bounds (the float32 logits and a few
 * activations per layer, no workspace, weights or optimizer state), so a refusal means "cannot fit",
 * never "might be slow".
 */
public final class MemoryBudget {
    private MemoryBudget() {}

    /** Physical memory of this machine (the JVM's heap limit where the OS does not say). */
    public static long physicalBytes() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            long total = os.getTotalMemorySize();
            if (total > 0) return total;
        }
        return Runtime.getRuntime().maxMemory();
    }

    /** Refuses {@code bytes} beyond this machine's memory: "FILE: WHAT needs about N GB, more than this machine's M GB; FIX". */
    public static void require(Object file, String what, double bytes, String fix) {
        long have = physicalBytes();
        if (bytes > have) {
            throw UserError.of(file, what + " needs about " + gb(bytes) + " of memory, more than this machine's " + gb(have), fix);
        }
    }

    /** The largest {@code n} for which {@code bytesFor(n)} fits, at least 1 (for the fix of a refusal). */
    public static long largestFitting(java.util.function.LongToDoubleFunction bytesFor, long upTo) {
        long lo = 1, hi = Math.max(1, upTo), have = physicalBytes();
        while (lo < hi) {
            long mid = lo + (hi - lo + 1) / 2;
            if (bytesFor.applyAsDouble(mid) <= have) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    private static String gb(double bytes) {
        return bytes >= 1e15 ? String.format("%.1e GB", bytes / 1e9) : String.format("%.1f GB", bytes / 1e9);
    }
}

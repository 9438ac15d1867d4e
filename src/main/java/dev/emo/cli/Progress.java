package dev.emo.cli;

/**
 * A one-line progress bar (step, loss, tokens/s, ETA) on the terminal; silent when output is not a
 * terminal, where the trainer's Log4j2 lines report progress instead.
 */
final class Progress {
    private final long total;
    private final long tokensPerStep;
    private final boolean tty = System.console() != null;
    private final long start = System.nanoTime();
    private long first = -1, firstStep;

    Progress(long total, long tokensPerStep) {
        this.total = total;
        this.tokensPerStep = tokensPerStep;
    }

    long total() {
        return total;
    }

    void update(long step, double loss) {
        update(step, String.format("loss %.4f ", loss));
    }

    /** detail: a short status such as "loss 3.21 " (may be empty). */
    void update(long step, String detail) {
        if (!tty) return;
        long now = System.nanoTime();
        if (first < 0) {
            first = now;
            firstStep = step;
        }
        double secs = (now - first) / 1e9;
        double rate = step > firstStep ? (step - firstStep) / secs : 0;
        long eta = rate > 0 ? (long) ((total - step) / rate) : -1;
        int width = 30, filled = (int) (width * step / Math.max(1, total));
        String speed = tokensPerStep > 0 ? String.format("%.0f tok/s ", rate * tokensPerStep) : "";
        System.err.printf("\r[%s%s] %d/%d %s%sETA %s   ", "=".repeat(filled), " ".repeat(width - filled), step, total,
                detail, speed, eta < 0 ? "?" : String.format("%d:%02d", eta / 60, eta % 60));
    }

    void done() {
        if (tty) System.err.printf("%n(%.0f s)%n", (System.nanoTime() - start) / 1e9);
    }
}

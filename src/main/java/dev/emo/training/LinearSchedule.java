package dev.emo.training;

/** Hugging Face's linear schedule: 0 → lr over the warm-up steps, then linearly to 0 at the last step. */
public record LinearSchedule(double peak, long warmupSteps, long totalSteps) {
    /** Learning rate for the update that follows {@code step} completed updates. */
    public double at(long step) {
        if (step < warmupSteps) return peak * step / Math.max(1, warmupSteps);
        return peak * Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
    }
}

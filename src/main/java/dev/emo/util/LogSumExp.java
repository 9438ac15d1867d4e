package dev.emo.util;

/** log Σ exp(x) over a slice, shifted by the maximum so no term overflows; in double precision. */
public final class LogSumExp {
    private LogSumExp() {}

    public static double of(double[] x, int offset, int length) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = offset; i < offset + length; i++) max = Math.max(max, x[i]);
        double sum = 0;
        for (int i = offset; i < offset + length; i++) sum += Math.exp(x[i] - max);
        return max + Math.log(sum);
    }

    public static double of(float[] x, int offset, int length) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = offset; i < offset + length; i++) max = Math.max(max, x[i]);
        double sum = 0;
        for (int i = offset; i < offset + length; i++) sum += Math.exp(x[i] - max);
        return max + Math.log(sum);
    }
}

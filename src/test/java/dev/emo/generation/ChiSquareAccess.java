package dev.emo.generation;

/** The chi-square survival function of this package's tests, for tests elsewhere. */
public final class ChiSquareAccess {
    private ChiSquareAccess() {}

    public static double survival(double x, int dof) {
        return ChiSquare.survival(x, dof);
    }
}

package dev.emo.kernels;

/**
 * Whether the host kernels use {@link FloatLanes} (the JDK's Vector API, an incubator module in
 * Java 17): when the JVM was started with {@code --add-modules jdk.incubator.vector}, as run.sh, the
 * tests and our Spark executors start it, and not switched off with {@code -Demo.simd=false}.
 * Without the module every kernel runs its scalar loop: same results within float rounding, about
 * 5× slower per element on AVX2. This class names no Vector API type, so it loads without the module.
 */
public final class Simd {
    /** The JVM option that makes the Vector API available. */
    public static final String JVM_OPTION = "--add-modules=jdk.incubator.vector";

    private static volatile boolean on = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
            && !"false".equals(System.getProperty("emo.simd"));

    private Simd() {}

    public static boolean on() {
        return on;
    }

    /** Tests switch the vector path off to check the scalar loops; returns the previous setting. */
    static boolean set(boolean value) {
        boolean was = on;
        on = value && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        return was;
    }
}

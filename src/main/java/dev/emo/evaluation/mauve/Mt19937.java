package dev.emo.evaluation.mauve;

/**
 * The 32-bit Mersenne Twister (init_genrand seeding), the generator behind both random draws the
 * reference makes: faiss's {@code RandomGenerator} (a {@code std::mt19937}) and numpy's legacy
 * {@code RandomState(int)}. Reproducing it, together with the two libraries' ways of turning
 * outputs into indices, gives the same initial centroids, the same empty-cluster splits and the
 * same PCA subsample as the reference.
 */
final class Mt19937 {
    private static final int N = 624;
    private static final int M = 397;
    private final int[] state = new int[N];
    private int next = N;

    Mt19937(long seed) {
        state[0] = (int) seed; // both libraries keep the low 32 bits
        for (int i = 1; i < N; i++) {
            int prev = state[i - 1];
            state[i] = 1812433253 * (prev ^ (prev >>> 30)) + i;
        }
    }

    /** The next output as an unsigned 32-bit value. */
    long nextUnsigned() {
        if (next >= N) twist();
        int y = state[next++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y & 0xffffffffL;
    }

    private void twist() {
        for (int k = 0; k < N; k++) {
            int y = (state[k] & 0x80000000) | (state[(k + 1) % N] & 0x7fffffff);
            state[k] = state[(k + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
        }
        next = 0;
    }

    /** faiss {@code RandomGenerator::rand_int(max)} (faiss ≤ 1.8): {@code mt() % max}. */
    int faissRandInt(int max) {
        return (int) (nextUnsigned() % max);
    }

    /** faiss {@code RandomGenerator::rand_float()}: {@code mt() / float(mt.max())}, all in float. */
    float faissRandFloat() {
        return (float) nextUnsigned() / (float) 4294967295L;
    }

    /** faiss {@code rand_perm(perm, n, seed)}: a forward Fisher–Yates shuffle of 0..n−1. */
    static int[] faissRandPerm(int n, long seed) {
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        Mt19937 rng = new Mt19937(seed);
        for (int i = 0; i + 1 < n; i++) {
            int j = i + rng.faissRandInt(n - i);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        return perm;
    }

    /**
     * numpy {@code RandomState(seed).choice(n, size, replace=False)}: the legacy path takes the
     * first {@code size} entries of {@code permutation(n)}, a backward shuffle whose draws come from
     * {@code random_interval} (mask to the next power of two minus one, reject above the bound).
     */
    static int[] numpyChoiceWithoutReplacement(int n, int size, long seed) {
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        Mt19937 rng = new Mt19937(seed);
        for (int i = n - 1; i >= 1; i--) {
            int j = (int) rng.randomInterval(i);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        return java.util.Arrays.copyOf(perm, size);
    }

    /** numpy {@code random_interval(max)} for max < 2^32: a uniform integer in [0, max]. */
    private long randomInterval(long max) {
        if (max == 0) return 0;
        long mask = max;
        mask |= mask >>> 1;
        mask |= mask >>> 2;
        mask |= mask >>> 4;
        mask |= mask >>> 8;
        mask |= mask >>> 16;
        long value;
        do {
            value = nextUnsigned() & mask;
        } while (value > max);
        return value;
    }
}

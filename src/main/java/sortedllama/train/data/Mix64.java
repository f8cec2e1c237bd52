package sortedllama.train.data;

/**
 * A 64-bit mixing function (the finaliser SplittableRandom uses): nearby inputs give unrelated
 * outputs. Used to derive one random stream per epoch and a stable per-example hash.
 */
final class Mix64 {
    private Mix64() {}

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A uniform double in [0, 1) from the top 53 bits of a hash. */
    static double unit(long hash) {
        return (hash >>> 11) * 0x1.0p-53;
    }
}

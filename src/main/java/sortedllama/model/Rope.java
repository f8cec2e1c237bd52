package sortedllama.model;

/**
 * Rotary position embeddings. Each pair of dimensions (a, b) of a head is rotated by the angle
 * pos * invFreq[i]; which dimensions form pair i depends on the {@link RopeLayout}.
 */
public final class Rope {
    private final int headDim;
    private final RopeLayout layout;
    private final float[] invFreq;

    /**
     * @param freqDivisors optional per-frequency divisors stored in GGUF files of Llama 3.1
     *                     ({@code rope_freqs.weight}), or null
     */
    public Rope(LlamaConfig c, float[] freqDivisors) {
        this.headDim = c.headDim();
        this.layout = c.ropeLayout();
        int half = headDim / 2;
        this.invFreq = new float[half];
        for (int i = 0; i < half; i++) {
            // float32 arithmetic, as Meta's and llama2.c's reference code compute the frequencies
            float f = (float) (1.0 / Math.pow(c.ropeTheta(), (2.0f * i) / (float) headDim));
            if (c.ropeScaling() != null) f = (float) c.ropeScaling().scale(f);
            if (freqDivisors != null) f /= freqDivisors[i];
            invFreq[i] = f;
        }
    }

    /**
     * cos and sin of every pair's angle at one position, written as headDim values at {@code off}:
     * [cos(0..half), sin(0..half)].
     */
    public void angles(int pos, float[] cosSin, int off) {
        int half = headDim / 2;
        for (int i = 0; i < half; i++) {
            float angle = pos * invFreq[i];
            cosSin[off + i] = (float) Math.cos(angle);
            cosSin[off + half + i] = (float) Math.sin(angle);
        }
    }

    /** Rotates {@code nHeads} consecutive heads of {@code v} starting at {@code off}, by angles from {@link #angles}. */
    public void rotate(float[] v, int off, int nHeads, float[] cosSin, int csOff) {
        int half = headDim / 2;
        for (int h = 0; h < nHeads; h++) {
            int head = off + h * headDim;
            for (int i = 0; i < half; i++) {
                int a, b;
                if (layout == RopeLayout.INTERLEAVED) {
                    a = head + 2 * i;
                    b = a + 1;
                } else {
                    a = head + i;
                    b = a + half;
                }
                float cos = cosSin[csOff + i], sin = cosSin[csOff + half + i];
                float x0 = v[a], x1 = v[b];
                v[a] = x0 * cos - x1 * sin;
                v[b] = x0 * sin + x1 * cos;
            }
        }
    }
}

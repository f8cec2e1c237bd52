package sortedllama.infer;

import java.util.Arrays;
import java.util.SplittableRandom;
import sortedllama.BadInputException;

/**
 * Picks the next token from logits: greedy at temperature 0, else softmax(logits / T) restricted
 * to the top-k tokens and then to the smallest set whose probability reaches top-p. The random
 * stream is seeded, so the same seed and prompt give the same text.
 */
public final class Sampler {
    private final float temperature;
    private final int topK;
    private final float topP;
    private final SplittableRandom random;

    /**
     * @param temperature 0 for greedy
     * @param topK        0 for no limit
     * @param topP        1 for no nucleus cut
     */
    public Sampler(float temperature, int topK, float topP, long seed) {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) throw new BadInputException("temperature must be >= 0, got " + temperature);
        if (topK < 0) throw new BadInputException("top-k must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new BadInputException("top-p must be in (0, 1], got " + topP);
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
    }

    public static Sampler greedy() {
        return new Sampler(0, 0, 1, 0);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    public int sample(float[] logits) {
        return isGreedy() ? argmax(logits, 0, logits.length) : sampleFrom(probabilities(logits));
    }

    /** Index of the largest of logits[off .. off+n), relative to off; the first on ties. */
    public static int argmax(float[] logits, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (logits[off + i] > logits[off + best]) best = i;
        return best;
    }

    /** The distribution this sampler draws from (top-k and top-p applied, renormalised). */
    public float[] probabilities(float[] logits) {
        int n = logits.length;
        float[] p = new float[n];
        if (isGreedy()) {
            p[argmax(logits, 0, n)] = 1f;
            return p;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = (float) Math.exp((logits[i] - max) / temperature);
            sum += p[i];
        }
        for (int i = 0; i < n; i++) p[i] /= (float) sum;
        if ((topK > 0 && topK < n) || topP < 1) keepTop(p);
        return p;
    }

    /** Draws an index from a distribution that sums to 1. */
    public int sampleFrom(float[] probs) {
        double r = random.nextDouble(), cumulative = 0;
        int lastNonZero = 0;
        for (int i = 0; i < probs.length; i++) {
            if (probs[i] <= 0) continue;
            cumulative += probs[i];
            lastNonZero = i;
            if (r < cumulative) return i;
        }
        return lastNonZero; // rounding left r just above the total
    }

    /** A uniform draw in [0, 1) from this sampler's stream (for speculative acceptance tests). */
    public double nextUniform() {
        return random.nextDouble();
    }

    private void keepTop(float[] p) {
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(p[b], p[a]));
        int keep = topK > 0 ? Math.min(topK, p.length) : p.length;
        double cumulative = 0;
        for (int i = 0; i < keep; i++) {
            cumulative += p[order[i]];
            if (cumulative >= topP) {
                keep = i + 1;
                break;
            }
        }
        double kept = 0;
        for (int i = 0; i < keep; i++) kept += p[order[i]];
        for (int i = keep; i < p.length; i++) p[order[i]] = 0;
        for (int i = 0; i < keep; i++) p[order[i]] /= (float) kept;
    }
}

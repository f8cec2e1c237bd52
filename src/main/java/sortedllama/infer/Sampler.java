package sortedllama.infer;

import java.util.Arrays;
import java.util.SplittableRandom;
import sortedllama.BadInputException;
import sortedllama.tensor.Vec;

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
        float inverseTemperature = 1f / temperature;
        for (int i = 0; i < n; i++) p[i] = logits[i] * inverseTemperature;
        Vec.softmax(p, 0, n);
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

    /**
     * Zeroes all but the top-k tokens, then all but the most probable ones whose probabilities
     * reach top-p, and renormalises (ties go to the lower id). Only candidates are sorted: with a
     * nucleus cut, a token below (1 - topP) / (n - 1) can never be needed, because all such tokens
     * together hold less than 1 - topP as long as one token is above it (llama2.c's shortcut; a 32,000-token vocabulary then sorts
     * a few hundred entries instead of all of them). Entries are sorted as primitive keys:
     * probability bits (non-negative floats order as their bits) above the id, inverted.
     */
    private void keepTop(float[] p) {
        int n = p.length;
        long[] keys = new long[n];
        int candidates = candidates(p, topP < 1 ? (1 - topP) / (n - 1) : 0, keys);
        // the shortcut needs one token at or above the floor (else all n of them could hold more than 1 - topP)
        if (candidates == 0) candidates = candidates(p, 0, keys);
        if (topK > 0 && topK < candidates) candidates = keepLargest(keys, candidates, topK);
        Arrays.sort(keys, 0, candidates); // ascending: the most probable last
        int keep = topK > 0 ? Math.min(topK, candidates) : candidates;
        double cumulative = 0;
        for (int j = 0; j < keep; j++) {
            cumulative += p[idAt(keys, candidates - 1 - j)];
            if (cumulative >= topP) {
                keep = j + 1;
                break;
            }
        }
        float[] kept = new float[n];
        double total = 0;
        for (int j = 0; j < keep; j++) total += p[idAt(keys, candidates - 1 - j)];
        for (int j = 0; j < keep; j++) {
            int id = idAt(keys, candidates - 1 - j);
            kept[id] = (float) (p[id] / total);
        }
        System.arraycopy(kept, 0, p, 0, n);
    }

    /** Sort keys of the tokens with a probability above 0 and at least {@code floor}; how many. */
    private static int candidates(float[] p, float floor, long[] keys) {
        int count = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0 && p[i] >= floor) keys[count++] = (long) Float.floatToRawIntBits(p[i]) << 32 | (0xFFFFFFFFL & ~i);
        }
        return count;
    }

    /** Moves the k largest of keys[0..count) to keys[0..k) (a min-heap of them: n log k, not a full sort); returns k. */
    private static int keepLargest(long[] keys, int count, int k) {
        for (int i = k / 2 - 1; i >= 0; i--) siftDown(keys, i, k);
        for (int i = k; i < count; i++) {
            if (keys[i] > keys[0]) {
                keys[0] = keys[i];
                siftDown(keys, 0, k);
            }
        }
        return k;
    }

    private static void siftDown(long[] heap, int i, int size) {
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) return;
            if (child + 1 < size && heap[child + 1] < heap[child]) child++;
            if (heap[i] <= heap[child]) return;
            long t = heap[i];
            heap[i] = heap[child];
            heap[child] = t;
            i = child;
        }
    }

    private static int idAt(long[] keys, int j) {
        return ~(int) keys[j];
    }
}

package sortedllama.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The sampling distribution against a plain reference: softmax in double, every token sorted. */
class SamplerTest {

    /** softmax(logits / T), then top-k, then the nucleus, renormalised; ties to the lower id. */
    private static double[] reference(float[] logits, float temperature, int topK, float topP) {
        int n = logits.length;
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) sum += p[i] = Math.exp((logits[i] - max) / temperature);
        for (int i = 0; i < n; i++) p[i] /= sum;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a])); // stable: ties keep the lower id first
        int keep = topK > 0 ? Math.min(topK, n) : n;
        double cumulative = 0;
        for (int j = 0; j < keep && topP < 1; j++) { // top-p 1 is no cut (rounding must not drop the tail)
            cumulative += p[order[j]];
            if (cumulative >= topP) {
                keep = j + 1;
                break;
            }
        }
        double kept = 0;
        for (int j = 0; j < keep; j++) kept += p[order[j]];
        double[] out = new double[n];
        for (int j = 0; j < keep; j++) out[order[j]] = p[order[j]] / kept;
        return out;
    }

    private static void assertMatches(float[] logits, float temperature, int topK, float topP) {
        float[] got = new Sampler(temperature, topK, topP, 1).probabilities(logits);
        double[] want = reference(logits, temperature, topK, topP);
        double total = 0;
        for (int i = 0; i < logits.length; i++) {
            String where = "T=" + temperature + " k=" + topK + " p=" + topP + " id " + i;
            assertEquals(want[i] == 0, got[i] == 0, where + ": kept by one and not the other");
            assertEquals(want[i], got[i], 2e-6 * want[i] + 1e-12, where);
            total += got[i];
        }
        assertEquals(1, total, 1e-5);
    }

    @Test
    void matchesTheReferenceForEveryCombinationOfCuts() {
        Random random = new Random(3);
        for (int n : new int[] {2, 17, 1000, 32000}) {
            float[] logits = new float[n];
            for (int i = 0; i < n; i++) logits[i] = (float) (3 * random.nextGaussian());
            for (float t : new float[] {0.5f, 1f, 1.7f}) {
                assertMatches(logits, t, 0, 1f);
                assertMatches(logits, t, 0, 0.9f);
                assertMatches(logits, t, 0, 0.3f);
                assertMatches(logits, t, 5, 1f);
                assertMatches(logits, t, 5, 0.9f);
                assertMatches(logits, t, n, 0.95f);
            }
        }
    }

    @Test
    void tiesGoToTheLowerIdAndAFlatDistributionKeepsWhatTheNucleusNeeds() {
        float[] flat = new float[10];
        assertMatches(flat, 1f, 0, 0.35f); // 4 of 10 equal tokens reach 0.35: ids 0..3
        float[] p = new Sampler(1f, 0, 0.35f, 1).probabilities(flat);
        for (int i = 0; i < 10; i++) assertEquals(i < 4 ? 0.25f : 0f, p[i], 1e-6f, "id " + i);
        float[] twoTop = {0f, 5f, 1f, 5f};
        p = new Sampler(1f, 1, 1f, 1).probabilities(twoTop);
        assertEquals(1f, p[1], 0f);
        assertEquals(0f, p[3], 0f);
    }

    @Test
    void samplingFollowsTheDistributionAndIsSeeded() {
        float[] logits = {1f, 2f, 0.5f, 3f, -1f};
        Sampler a = new Sampler(1f, 0, 0.9f, 42), b = new Sampler(1f, 0, 0.9f, 42);
        double[] want = reference(logits, 1f, 0, 0.9f);
        int draws = 200_000;
        int[] counts = new int[logits.length];
        for (int i = 0; i < draws; i++) {
            int x = a.sample(logits);
            assertEquals(x, b.sample(logits), "same seed, same draws");
            counts[x]++;
        }
        for (int i = 0; i < logits.length; i++) {
            double sd = Math.sqrt(draws * want[i] * (1 - want[i]));
            assertTrue(Math.abs(counts[i] - draws * want[i]) <= 5 * sd + 1e-9, "id " + i + ": " + counts[i] + " of " + draws);
        }
    }
}

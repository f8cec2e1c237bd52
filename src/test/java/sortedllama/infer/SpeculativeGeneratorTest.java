package sortedllama.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import sortedllama.BadInputException;
import sortedllama.model.LlamaModel;
import sortedllama.model.TestModels;

/**
 * Self-speculative decoding must be lossless: greedy output identical to full-depth greedy for
 * every draft exit and draft length, at EOS and at the context limit; sampled output must follow
 * the full model's distribution (a chi-square test on exact joint probabilities).
 */
class SpeculativeGeneratorTest {
    static final LlamaModel MODEL = TestModels.random(TestModels.tinyConfig(4, 64, 96), 7, 6f);

    @Test
    void greedyOutputEqualsFullDepthForEveryDraftExitAndLength() {
        int[] prompt = {1, 5, 9};
        int[] full = new Generator(MODEL).generate(prompt, 60, 4, Sampler.greedy(), -1, null).tokens();
        for (int exit = 1; exit <= 3; exit++) {
            for (int g : new int[] {1, 2, 3, 5, 8}) {
                for (boolean adaptive : new boolean[] {false, true}) {
                    var result = new SpeculativeGenerator(MODEL, exit, g, adaptive, false, new SpeculationMemory())
                            .generate(prompt, 60, Sampler.greedy(), -1, null);
                    assertArrayEquals(full, result.tokens(), "draft exit " + exit + ", G " + g + ", adaptive " + adaptive);
                    assertTrue(result.acceptance() >= 0 && result.acceptance() <= 1);
                }
            }
        }
    }

    @Test
    void fallingBackToPlainDecodingKeepsTheOutputIdentical() {
        int[] prompt = {1, 5, 9};
        int[] full = new Generator(MODEL).generate(prompt, 80, 4, Sampler.greedy(), -1, null).tokens();
        for (int run = 0; run < 4; run++) { // the speed memory learns across runs and may switch modes
            var result = new SpeculativeGenerator(MODEL, 2, 4, true, true, new SpeculationMemory()).generate(prompt, 80, Sampler.greedy(), -1, null);
            assertArrayEquals(full, result.tokens(), "run " + run);
        }
    }

    @Test
    void stopsAtTheContextLimitWithTheSameTokens() {
        int[] prompt = {1, 5};
        var full = new Generator(MODEL).generate(prompt, 200, 4, Sampler.greedy(), -1, null);
        assertEquals(Generator.StopReason.CONTEXT_FULL, full.stop());
        assertEquals(96 - prompt.length + 1, full.tokens().length); // the last token needs no position
        for (int g : new int[] {1, 4, 7}) {
            var spec = new SpeculativeGenerator(MODEL, 2, g, true, false, new SpeculationMemory()).generate(prompt, 200, Sampler.greedy(), -1, null);
            assertEquals(Generator.StopReason.CONTEXT_FULL, spec.stop());
            assertArrayEquals(full.tokens(), spec.tokens(), "G " + g);
        }
    }

    @Test
    void stopsAtEosInsideAnAcceptedDraft() {
        int[] prompt = {1, 5, 9};
        int[] full = new Generator(MODEL).generate(prompt, 40, 4, Sampler.greedy(), -1, null).tokens();
        int eos = full[17]; // pretend a token the model emits mid-sequence is EOS
        int firstEos = 0;
        while (full[firstEos] != eos) firstEos++;
        for (int g : new int[] {1, 3, 6}) {
            var spec = new SpeculativeGenerator(MODEL, 3, g, false, false, new SpeculationMemory()).generate(prompt, 40, Sampler.greedy(), eos, null);
            assertEquals(Generator.StopReason.EOS, spec.stop());
            assertArrayEquals(Arrays.copyOf(full, firstEos + 1), spec.tokens(), "G " + g);
        }
    }

    @Test
    void rejectsDraftExitOutOfRange() {
        assertThrows(BadInputException.class, () -> new SpeculativeGenerator(MODEL, 0, 4, false, false, new SpeculationMemory()));
        assertThrows(BadInputException.class, () -> new SpeculativeGenerator(MODEL, 4, 4, false, false, new SpeculationMemory()));
        assertThrows(BadInputException.class, () -> new SpeculativeGenerator(MODEL, 2, 0, false, false, new SpeculationMemory()));
    }

    /**
     * A seeded sampled run reproduces exactly through a plan that adapts and falls back, even after
     * greedy runs have filled the shared memory with timings (which would change an adaptive schedule).
     */
    @Test
    void aSeededSampledRunReproducesWhateverTheMemoryHasMeasured() {
        var memory = new SpeculationMemory();
        var plan = new SpeculativeGenerator(MODEL, 2, 3, true, true, memory);
        int[] prompt = {1, 5, 9};
        int[] first = plan.generate(prompt, 60, new Sampler(0.8f, 0, 1f, 42), -1, null).tokens();
        for (int i = 0; i < 5; i++) plan.generate(prompt, 60, Sampler.greedy(), -1, null);
        int[] again = plan.generate(prompt, 60, new Sampler(0.8f, 0, 1f, 42), -1, null).tokens();
        assertArrayEquals(first, again);
    }

    /**
     * Three sampled tokens after the prompt; tokens 2 and 3 come out of draft-and-verify rounds
     * (G = 2, so both the rejection-resampling and the bonus paths are taken). Their empirical joint
     * distribution over N runs is compared with the exact joint of the full model, computed by
     * enumeration, with Pearson's chi-square (cells with expected count < 5 pooled). Seeds are fixed,
     * so the test is deterministic; the bound is the 0.999 quantile, so a correct sampler fails it
     * with probability 1e-3 per seed choice (it passes with these seeds), and a sampler that returned
     * the draft's distribution fails it by far (checked below).
     */
    @Test
    void sampledOutputFollowsTheFullModelsDistribution() {
        var c = TestModels.tinyConfig(3, 6, 16);
        LlamaModel model = TestModels.random(c, 11, 2.5f);
        int[] prompt = {1};
        int vocab = c.vocabSize(), runs = 30000;
        double[] exact = exactJoint(model, prompt, 3, 3);
        double[] draftOnly = exactJoint(model, prompt, 3, 1);
        double tv = 0;
        for (int i = 0; i < exact.length; i++) tv += Math.abs(exact[i] - draftOnly[i]) / 2;
        assertTrue(tv > 0.1, "the draft exit must differ from the full model for this test to mean anything, TV " + tv);

        long[] counts = new long[exact.length];
        for (int r = 0; r < runs; r++) {
            var sampler = new Sampler(1f, 0, 1f, 1000 + r);
            int[] t = new SpeculativeGenerator(model, 1, 2, false, false, new SpeculationMemory()).generate(prompt, 3, sampler, -1, null).tokens();
            counts[(t[0] * vocab + t[1]) * vocab + t[2]]++;
        }
        double chi2 = chiSquare(counts, exact, runs);
        double chi2Draft = chiSquare(counts, draftOnly, runs);
        int dof = exact.length - 1;
        double bound = dof + 3.09 * Math.sqrt(2.0 * dof); // ~0.999 quantile (normal approximation)
        assertTrue(chi2 < bound, "chi-square " + chi2 + " vs bound " + bound + " (" + dof + " dof)");
        assertTrue(chi2Draft > 10 * bound, "the test must be able to tell the draft's distribution apart: " + chi2Draft);
    }

    /** P(t1, t2, t3 | prompt) with every token taken from exit {@code exit} at temperature 1. */
    static double[] exactJoint(LlamaModel model, int[] prompt, int tokens, int exit) {
        int vocab = model.config().vocabSize();
        double[] joint = new double[(int) Math.pow(vocab, tokens)];
        var sampler = new Sampler(1f, 0, 1f, 0);
        for (int cell = 0; cell < joint.length; cell++) {
            int[] seq = new int[prompt.length + tokens];
            System.arraycopy(prompt, 0, seq, 0, prompt.length);
            for (int i = tokens - 1, rest = cell; i >= 0; i--, rest /= vocab) seq[prompt.length + i] = rest % vocab;
            float[] logits = model.forward(model.newCache(seq.length), seq, exit, true);
            double p = 1;
            for (int i = 0; i < tokens; i++) {
                int pos = prompt.length - 1 + i;
                float[] row = Arrays.copyOfRange(logits, pos * vocab, (pos + 1) * vocab);
                p *= sampler.probabilities(row)[seq[pos + 1]];
            }
            joint[cell] = p;
        }
        return joint;
    }

    static double chiSquare(long[] counts, double[] p, int n) {
        double chi2 = 0, pooledExpected = 0;
        long pooledCount = 0;
        for (int i = 0; i < p.length; i++) {
            double expected = p[i] * n;
            if (expected < 5) {
                pooledExpected += expected;
                pooledCount += counts[i];
            } else {
                chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
            }
        }
        if (pooledExpected > 0) chi2 += (pooledCount - pooledExpected) * (pooledCount - pooledExpected) / pooledExpected;
        return chi2;
    }
}

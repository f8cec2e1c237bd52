package sortedllama.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import sortedllama.BadInputException;
import sortedllama.model.LlamaModel;
import sortedllama.model.TestModels;

/** Instance-aware early exit: thresholds, the two ways of filling skipped layers' keys and values. */
class AdaptiveGeneratorTest {
    static final LlamaModel MODEL = TestModels.random(TestModels.tinyConfig(4, 64, 96), 7, 6f);
    static final int[] PROMPT = {1, 5, 9};

    static ExitPolicy thresholds(float at1, float at2, float at3) {
        var map = new TreeMap<Integer, Float>();
        map.put(1, at1);
        map.put(2, at2);
        map.put(3, at3);
        return new ExitPolicy(map);
    }

    @ParameterizedTest
    @EnumSource(AdaptiveGenerator.KvFill.class)
    void unreachableThresholdsGiveFullDepthOutput(AdaptiveGenerator.KvFill fill) {
        int[] full = new Generator(MODEL).generate(PROMPT, 50, 4, Sampler.greedy(), -1, null).tokens();
        var result = new AdaptiveGenerator(MODEL, thresholds(2f, 2f, 2f), fill).generate(PROMPT, 50, Sampler.greedy(), -1, null);
        assertArrayEquals(full, result.tokens());
        assertEquals(4.0, result.meanDepth());
    }

    @Test
    void zeroThresholdAtTheFirstExitEqualsFixedExitDecoding() {
        // the prompt is prefilled at full depth in both, then every token leaves at exit 1
        int[] exit1 = new int[50];
        var fixed = MODEL.newCache(PROMPT.length + 50);
        float[] logits = MODEL.forward(fixed, PROMPT, 4, false);
        for (int i = 0; i < 50; i++) {
            exit1[i] = Sampler.argmax(logits, 0, logits.length);
            logits = MODEL.forward(fixed, new int[] {exit1[i]}, 1, false);
        }
        var result = new AdaptiveGenerator(MODEL, thresholds(0f, 0f, 0f), AdaptiveGenerator.KvFill.RECOMPUTE)
                .generate(PROMPT, 50, Sampler.greedy(), -1, null);
        assertArrayEquals(exit1, result.tokens());
        assertTrue(Arrays.stream(result.depths()).skip(1).allMatch(d -> d == 1));
    }

    /**
     * With RECOMPUTE the cache is exact, so each token must be the argmax of its exit's logits as a
     * fresh full prefill of the same prefix computes them, whichever exits earlier tokens used.
     */
    @Test
    void recomputedKeysAndValuesAreExact() {
        var result = new AdaptiveGenerator(MODEL, thresholds(0.6f, 0.5f, 0.4f), AdaptiveGenerator.KvFill.RECOMPUTE)
                .generate(PROMPT, 60, Sampler.greedy(), -1, null);
        int[] depths = result.depths();
        assertTrue(Arrays.stream(depths).distinct().count() >= 3, "thresholds should mix exits: " + Arrays.toString(depths));
        assertEveryTokenIsItsExitsArgmax(result);
    }

    /**
     * More positions lag behind than one batch takes (sgemm's range starts at 16): the catch-up
     * goes in several batches and must still be exact. A threshold at exit 1 is lowered until a
     * run of 20 or more early exits is followed by a deeper token (at 0.54: 44 exits at layer 1, then
     * one at full depth that catches up 44 positions in three batches per layer).
     */
    @Test
    void longRunsOfEarlyExitsCatchUpExactly() {
        int maxTokens = 90;
        for (float t = 0.6f; t > 0.3f; t -= 0.005f) {
            var result = new AdaptiveGenerator(MODEL, thresholds(t, 2f, 2f), AdaptiveGenerator.KvFill.RECOMPUTE)
                    .generate(PROMPT, maxTokens, Sampler.greedy(), -1, null);
            int[] depths = result.depths();
            int run = 0;
            for (int i = 1; i < depths.length; i++) {
                if (depths[i] == 1) {
                    run++;
                } else if (run >= 20) {
                    assertEveryTokenIsItsExitsArgmax(result);
                    return;
                } else {
                    run = 0;
                }
            }
        }
        throw new AssertionError("no threshold gave a run of 20 early exits followed by a deeper token");
    }

    private static void assertEveryTokenIsItsExitsArgmax(Generator.Result result) {
        int[] tokens = result.tokens(), depths = result.depths();
        int vocab = MODEL.config().vocabSize();
        for (int i = 0; i < tokens.length; i++) {
            int[] prefix = new int[PROMPT.length + i];
            System.arraycopy(PROMPT, 0, prefix, 0, PROMPT.length);
            System.arraycopy(tokens, 0, prefix, PROMPT.length, i);
            float[] logits = MODEL.forward(MODEL.newCache(prefix.length), prefix, depths[i], false);
            assertEquals(Sampler.argmax(logits, 0, vocab), tokens[i], "token " + i + " at depth " + depths[i]);
        }
    }

    @Test
    void propagationDecodesAndUsesShallowExits() {
        var result = new AdaptiveGenerator(MODEL, thresholds(0.6f, 0.5f, 0.4f), AdaptiveGenerator.KvFill.PROPAGATE)
                .generate(PROMPT, 60, Sampler.greedy(), -1, null);
        assertEquals(60, result.tokens().length);
        assertTrue(result.meanDepth() < 4.0);
    }

    @Test
    void parsesThresholdsAsThePaperWritesThem() {
        var p = ExitPolicy.parse("12:0.95,16:0.95,20:0.9,24:0.9,28:0.8,32:0.8,36:0.7", new int[0], 40);
        assertEquals(7, p.thresholds().size());
        assertEquals(0.7f, p.thresholds().get(36));
        var plain = ExitPolicy.parse("0.9", new int[] {2, 4, 6, 8}, 8);
        assertEquals(List.of(2, 4, 6), List.copyOf(plain.thresholds().keySet()));
        assertThrows(BadInputException.class, () -> ExitPolicy.parse("41:0.9", new int[0], 40));
        assertThrows(BadInputException.class, () -> ExitPolicy.parse("12:1.5", new int[0], 40));
        assertThrows(BadInputException.class, () -> ExitPolicy.parse("12=0.5", new int[0], 40));
        assertThrows(BadInputException.class, () -> ExitPolicy.parse("abc", new int[] {2}, 40));
    }
}

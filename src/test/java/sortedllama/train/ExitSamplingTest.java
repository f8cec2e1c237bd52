package sortedllama.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import sortedllama.BadInputException;
import sortedllama.model.ExitSet;

class ExitSamplingTest {
    private static final ExitObjective FULL = ExitObjective.equal(new ExitSet(new int[] {2, 4, 6, 8, 10}));

    /**
     * The mean over many draws of each exit's weight (0 when not drawn) is the full objective's
     * 1/|B| = 0.2: the sampled loss is an unbiased estimate of the mean over all exits. 40,000 draws
     * put the standard error of each mean near 0.001; the draws are seeded, so the test is exact.
     */
    @Test
    void bothModesAreUnbiasedEstimatesOfTheMeanOverAllExits() {
        for (ExitSampling.Mode mode : ExitSampling.Mode.values()) {
            for (int perStep : new int[] {2, 3}) {
                var sampling = new ExitSampling(perStep, mode, 7);
                double[] meanWeight = new double[11];
                int draws = 40_000;
                for (int step = 0; step < draws / 4; step++) {
                    for (int micro = 0; micro < 4; micro++) {
                        ExitObjective o = sampling.draw(FULL, step, micro);
                        assertEquals(perStep, o.exits().length);
                        if (mode == ExitSampling.Mode.KEEP_LAST) assertEquals(10, o.deepest(), "the last layer every time");
                        for (int i = 0; i < o.exits().length; i++) meanWeight[o.exits()[i]] += o.weights()[i] / draws;
                    }
                }
                for (int k : FULL.exits()) assertEquals(0.2, meanWeight[k], 0.006, mode + " N=" + perStep + " exit " + k);
            }
        }
    }

    @Test
    void drawsAreAFunctionOfSeedStepAndMicroBatch() {
        var a = new ExitSampling(2, ExitSampling.Mode.UNIFORM, 1);
        assertArrayEquals(a.draw(FULL, 5, 1).exits(), new ExitSampling(2, ExitSampling.Mode.UNIFORM, 1).draw(FULL, 5, 1).exits());
        boolean differ = false;
        for (int step = 0; step < 20 && !differ; step++) {
            differ = !Arrays.equals(a.draw(FULL, step, 0).exits(), a.draw(FULL, step, 1).exits());
        }
        assertTrue(differ, "micro-batches of a step draw separately");
    }

    @Test
    void allExitsOrNoneDrawnGiveTheFullObjective() {
        assertSame(FULL, ExitSampling.ALL.draw(FULL, 3, 0));
        assertSame(FULL, new ExitSampling(5, ExitSampling.Mode.UNIFORM, 1).draw(FULL, 3, 0));
        assertThrows(BadInputException.class, () -> new ExitSampling(6, ExitSampling.Mode.UNIFORM, 1).check(FULL));
        assertThrows(BadInputException.class, () -> new ExitSampling(1, ExitSampling.Mode.KEEP_LAST, 1));
        assertEquals(ExitSampling.Mode.KEEP_LAST, ExitSampling.parseMode("keep-last"));
    }
}

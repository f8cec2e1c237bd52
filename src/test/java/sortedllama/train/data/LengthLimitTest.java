package sortedllama.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class LengthLimitTest {
    private static final int T = 8;

    private static Example example(int tokens, int responseStart) {
        int[] t = new int[tokens];
        for (int i = 0; i < tokens; i++) t[i] = 100 + i;
        return new Example(t, responseStart, List.of());
    }

    @Test
    void truncationKeepsTheBeginningAndIsCounted() {
        var limit = new LengthLimit(T, LongExamplePolicy.TRUNCATE);
        Example fits = example(T + 1, 3), tooLong = example(20, 3);
        List<Example> out = limit.apply(List.of(fits, tooLong));
        assertEquals(2, out.size());
        assertEquals(fits, out.get(0), "an example of exactly T + 1 tokens fits T positions untouched");
        assertArrayEquals(Arrays.copyOf(tooLong.tokens(), T + 1), out.get(1).tokens());
        assertEquals(3, out.get(1).responseStart());
        assertEquals(1, limit.truncated());
        assertEquals(0, limit.dropped());
        assertEquals(20, limit.longest());
    }

    @Test
    void aPromptThatFillsTheRowIsDroppedNotKeptWithoutLoss() {
        var limit = new LengthLimit(T, LongExamplePolicy.TRUNCATE);
        assertEquals(0, limit.apply(List.of(example(20, 12))).size());
        assertEquals(0, limit.truncated());
        assertEquals(1, limit.dropped());
    }

    @Test
    void dropLeavesLongExamplesOutAndCountsThem() {
        var limit = new LengthLimit(T, LongExamplePolicy.DROP);
        assertEquals(1, limit.apply(List.of(example(20, 1), example(5, 1))).size());
        assertEquals(1, limit.dropped());
    }

    @Test
    void splitPredictsEveryTrainedTokenExactlyOnce() {
        var limit = new LengthLimit(T, LongExamplePolicy.SPLIT);
        Example doc = example(30, 11);
        List<Example> windows = limit.apply(List.of(doc));
        List<Integer> trained = new ArrayList<>();
        for (Example w : windows) {
            assertTrue(w.positions() <= T);
            for (int j = w.responseStart(); j < w.length(); j++) trained.add(w.tokens()[j]);
        }
        List<Integer> expected = new ArrayList<>();
        for (int j = doc.responseStart(); j < doc.length(); j++) expected.add(doc.tokens()[j]);
        assertEquals(expected, trained);
        assertEquals(1, limit.split());
    }

    @Test
    void windowWithoutCountedPredictionIsNull() {
        assertNull(example(10, 6).window(0, 6));
        assertEquals(1, example(10, 6).window(0, 7).countedTargets());
    }
}

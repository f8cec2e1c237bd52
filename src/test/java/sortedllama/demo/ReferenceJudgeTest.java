package sortedllama.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import sortedllama.eval.PairwiseScore;

class ReferenceJudgeTest {
    @Test
    void higherF1WinsInBothOrdersAndTheScoreIsWinsMinusLossesOverPrompts() {
        var s = ReferenceJudge.compare(new double[] {1, 0.5, 0, 0.2, 0.3}, new double[] {0.5, 0.5, 0.1, 0, 0});
        assertEquals(new PairwiseScore.Tally(3, 1, 1, 0), s.ab());
        assertEquals(s.ab(), s.ba(), "no position bias");
        assertEquals((3 - 1) / 5.0, s.score(), 1e-15);
        assertEquals(1.0, s.consistency());
        assertEquals(-1.0, ReferenceJudge.compare(new double[] {0, 0}, new double[] {1, 1}).score());
        assertEquals(0.0, ReferenceJudge.compare(new double[0], new double[0]).score());
        assertThrows(IllegalArgumentException.class, () -> ReferenceJudge.compare(new double[1], new double[2]));
    }
}

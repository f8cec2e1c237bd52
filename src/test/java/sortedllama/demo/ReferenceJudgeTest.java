package sortedllama.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ReferenceJudgeTest {
    @Test
    void higherF1WinsAndTheScoreIsWinsMinusLossesOverPrompts() {
        var s = ReferenceJudge.compare(new double[] {1, 0.5, 0, 0.2, 0.3}, new double[] {0.5, 0.5, 0.1, 0, 0});
        assertEquals(new ReferenceJudge.Score(3, 1, 1), s);
        assertEquals((3 - 1) / 5.0, s.score(), 1e-15);
        assertEquals(-1.0, ReferenceJudge.compare(new double[] {0, 0}, new double[] {1, 1}).score());
        assertEquals(0.0, ReferenceJudge.compare(new double[0], new double[0]).score());
        assertThrows(IllegalArgumentException.class, () -> ReferenceJudge.compare(new double[1], new double[2]));
    }
}

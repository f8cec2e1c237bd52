package sortedllama.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import sortedllama.eval.PairwiseScore.Tally;

/** The paper's arithmetic on hand-made verdicts. */
class PairwiseScoreTest {
    private static final Verdict ONE = Verdict.FIRST, TWO = Verdict.SECOND, TIE = Verdict.TIE, BAD = Verdict.INVALID;

    @Test
    void bothOrdersCancelAJudgeThatAlwaysPrefersTheFirstResponse() {
        List<Verdict> always1 = Collections.nCopies(5, ONE);
        PairwiseScore s = PairwiseScore.of(always1, always1);
        assertEquals(new Tally(5, 0, 0, 0), s.ab(), "A shown first wins every time");
        assertEquals(new Tally(0, 0, 5, 0), s.ba(), "B shown first wins every time");
        assertEquals(1.0, s.ab().score());
        assertEquals(-1.0, s.ba().score());
        assertEquals(0.0, s.score());
        assertEquals(0.0, s.consistency(), "no prompt gets the same outcome in both orders");
        assertEquals(new Tally(5, 0, 5, 0), s.combined());
    }

    @Test
    void aConsistentJudgeScoresByItsPreference() {
        // prompt 1: A better both ways; 2: B better both ways; 3: A better, then a tie; 4: invalid, then A better
        PairwiseScore s = PairwiseScore.of(List.of(ONE, TWO, ONE, BAD), List.of(TWO, ONE, TIE, TWO));
        assertEquals(new Tally(2, 1, 1, 1), s.ab());
        assertEquals(new Tally(2, 1, 1, 0), s.ba());
        assertEquals(0.25, s.ab().score(), 1e-12);
        assertEquals(0.25, s.ba().score(), 1e-12);
        assertEquals(0.25, s.score(), 1e-12);
        assertEquals(0.5, s.consistency(), 1e-12, "prompts 1 and 2 agree; 3 and 4 do not");
        assertEquals(new Tally(4, 2, 2, 1), s.combined());
        assertEquals(4, s.prompts());
    }

    @Test
    void scoresStayWithinMinusOneAndOne() {
        assertEquals(1.0, PairwiseScore.of(List.of(ONE, ONE), List.of(TWO, TWO)).score());
        assertEquals(-1.0, PairwiseScore.of(List.of(TWO), List.of(ONE)).score());
        PairwiseScore ties = PairwiseScore.of(List.of(TIE, BAD), List.of(BAD, TIE));
        assertEquals(0.0, ties.score());
        assertEquals(1.0, ties.consistency(), "tie and invalid are both ties");
        assertEquals(2, ties.combined().invalid());
    }

    @Test
    void anExactDrawOfProbabilitiesIsATie() {
        assertEquals(Verdict.SECOND, LocalJudge.mostLikely(new double[] {-2, -1, -3}));
        assertEquals(Verdict.TIE, LocalJudge.mostLikely(new double[] {-1, -1, -3}));
        assertEquals(Verdict.TIE, LocalJudge.mostLikely(new double[] {-4, -5, -0.5}));
    }
}

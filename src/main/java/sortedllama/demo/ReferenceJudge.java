package sortedllama.demo;

import java.util.ArrayList;
import java.util.List;
import sortedllama.eval.PairwiseScore;
import sortedllama.eval.Verdict;

/**
 * The demo's judge of two systems' instruction answers: the response closer to the reference
 * answer (higher token F1) wins, equal F1 is a tie. The demo has no judge model (nothing may be
 * downloaded, and a model as small as the ones it trains cannot judge), so it judges against the
 * references its tasks come with. Verdicts are given in both answer orders and scored like
 * {@code eval judge}'s ({@link PairwiseScore}: (wins - losses) / prompts, mean of the orders); this
 * judge has no position bias, so the orders agree.
 */
final class ReferenceJudge {
    private ReferenceJudge() {}

    static PairwiseScore compare(double[] f1A, double[] f1B) {
        if (f1A.length != f1B.length) throw new IllegalArgumentException(f1A.length + " answers against " + f1B.length);
        List<Verdict> ab = new ArrayList<>(), ba = new ArrayList<>();
        for (int i = 0; i < f1A.length; i++) {
            ab.add(verdict(f1A[i], f1B[i])); // A shown as response 1
            ba.add(verdict(f1B[i], f1A[i])); // A shown as response 2
        }
        return PairwiseScore.of(ab, ba);
    }

    private static Verdict verdict(double first, double second) {
        return first > second ? Verdict.FIRST : first < second ? Verdict.SECOND : Verdict.TIE;
    }
}

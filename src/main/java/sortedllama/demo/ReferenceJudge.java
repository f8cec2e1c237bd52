package sortedllama.demo;

/**
 * The demo's judge of two systems' instruction answers: the one closer to the reference answer
 * (higher token F1) wins, equal F1 is a tie. The demo has no judge model (nothing may be
 * downloaded, and a model as small as the ones it trains cannot judge), so it judges against the
 * references that its tasks come with; the scoring is the paper's, (wins - losses) / prompts in
 * [-1, 1]. Such a judge has no position bias, so both answer orders give the same verdicts.
 */
final class ReferenceJudge {
    private ReferenceJudge() {}

    /** Verdicts of system A against system B over the same prompts. */
    record Score(int wins, int ties, int losses) {
        double score() {
            int n = wins + ties + losses;
            return n == 0 ? 0 : (wins - losses) / (double) n;
        }
    }

    static Score compare(double[] f1A, double[] f1B) {
        if (f1A.length != f1B.length) throw new IllegalArgumentException(f1A.length + " answers against " + f1B.length);
        int wins = 0, ties = 0, losses = 0;
        for (int i = 0; i < f1A.length; i++) {
            if (f1A[i] > f1B[i]) wins++;
            else if (f1A[i] < f1B[i]) losses++;
            else ties++;
        }
        return new Score(wins, ties, losses);
    }
}

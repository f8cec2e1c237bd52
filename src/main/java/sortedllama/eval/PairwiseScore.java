package sortedllama.eval;

import java.util.List;

/**
 * The score of system A against system B over N prompts, each judged in both orders, as the
 * Sorted LLaMA paper scores its pairwise comparisons: per order (wins − losses) / N from A's side,
 * then the mean of the two orders, in [−1, 1]. Asking both ways round cancels a judge's position
 * bias: one that always prefers "Response 1" gives A +1 in one order and −1 in the other, 0 in all.
 * Invalid verdicts count as ties (see {@link Verdict}) and are also tallied on their own.
 *
 * @param ab         A shown as Response 1
 * @param ba         B shown as Response 1
 * @param consistent prompts whose outcome for A is the same in both orders (win, tie or loss)
 */
public record PairwiseScore(Tally ab, Tally ba, int prompts, int consistent) {

    /** A's wins, ties (invalid ones included) and losses in one order; {@code invalid} counts the invalid among the ties. */
    public record Tally(int wins, int ties, int losses, int invalid) {
        Tally plus(Tally o) {
            return new Tally(wins + o.wins, ties + o.ties, losses + o.losses, invalid + o.invalid);
        }

        /** (wins − losses) / prompts. */
        public double score() {
            int n = wins + ties + losses;
            return n == 0 ? 0 : (double) (wins - losses) / n;
        }
    }

    /** Which response A is shown as. */
    public enum Order {
        AB, BA;

        /** A's outcome, +1 win, 0 tie, −1 loss, from the verdict on "Response 1" against "Response 2". */
        public int outcomeForA(Verdict v) {
            int firstWins = switch (v) {
                case FIRST -> 1;
                case SECOND -> -1;
                case TIE, INVALID -> 0;
            };
            return this == AB ? firstWins : -firstWins;
        }
    }

    /** @param ab, ba the verdicts of each prompt in the two orders, in the same prompt order */
    public static PairwiseScore of(List<Verdict> ab, List<Verdict> ba) {
        if (ab.size() != ba.size()) throw new IllegalArgumentException(ab.size() + " verdicts in one order, " + ba.size() + " in the other");
        int consistent = 0;
        for (int i = 0; i < ab.size(); i++) {
            if (Order.AB.outcomeForA(ab.get(i)) == Order.BA.outcomeForA(ba.get(i))) consistent++;
        }
        return new PairwiseScore(tally(ab, Order.AB), tally(ba, Order.BA), ab.size(), consistent);
    }

    private static Tally tally(List<Verdict> verdicts, Order order) {
        int wins = 0, ties = 0, losses = 0, invalid = 0;
        for (Verdict v : verdicts) {
            switch (order.outcomeForA(v)) {
                case 1 -> wins++;
                case -1 -> losses++;
                default -> ties++;
            }
            if (v == Verdict.INVALID) invalid++;
        }
        return new Tally(wins, ties, losses, invalid);
    }

    /** Both orders together: 2N judgements. */
    public Tally combined() {
        return ab.plus(ba);
    }

    /** The mean of the two orders' scores, in [−1, 1]. */
    public double score() {
        return (ab.score() + ba.score()) / 2;
    }

    /** Fraction of prompts with the same outcome in both orders (1 for a judge without position bias). */
    public double consistency() {
        return prompts == 0 ? 0 : (double) consistent / prompts;
    }
}

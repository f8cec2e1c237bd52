package sortedllama.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import sortedllama.BadInputException;
import sortedllama.eval.PairwiseScore.Order;

/**
 * Pairwise judging of two systems' answers (e.g. SoFT at exit 8 against SFT at exit 8), as the
 * paper does with PandaLM: every instruction both systems answered is put to the judge twice, A's
 * answer first and then B's first, and the verdicts are scored by {@link PairwiseScore}.
 */
public final class PairwiseJudge {
    private PairwiseJudge() {}

    /** One instruction both systems answered: A's answer at its exit and B's at its own. */
    public record Match(Answer a, Answer b) {}

    /** One judgement: a prompt in one order, what the judge wrote and what it means for A. */
    public record Judged(String id, int aExit, int bExit, Order order, String raw, Verdict verdict) {
        public int outcomeForA() {
            return order.outcomeForA(verdict);
        }
    }

    /** Every judgement of one exit pair, both orders of each prompt next to each other, and the score. */
    public record Comparison(int aExit, int bExit, List<Judged> judgements, PairwiseScore score) {}

    /**
     * A's answers at {@code aExit} paired with B's at {@code bExit} by id, in A's order. Answers of
     * one side without a partner are left out (and counted in {@link Comparison#unmatched}); the same
     * id with a different instruction means the files answer different data, which is refused.
     */
    public static List<Match> match(List<Answer> a, int aExit, List<Answer> b, int bExit) {
        Map<String, Answer> byId = new HashMap<>();
        for (Answer answer : b) if (answer.exit() == bExit) byId.put(answer.id(), answer);
        List<Match> out = new ArrayList<>();
        for (Answer answer : a) {
            if (answer.exit() != aExit) continue;
            Answer other = byId.get(answer.id());
            if (other == null) continue;
            if (!other.instruction().equals(answer.instruction()) || !other.input().equals(answer.input())) {
                throw new BadInputException("id " + answer.id() + " has different instructions in the two answer files: were they "
                        + "generated from the same data?");
            }
            out.add(new Match(answer, other));
        }
        if (out.isEmpty()) {
            throw new BadInputException("no instruction has an answer of A at exit " + aExit + " and of B at exit " + bExit
                    + " (exits in A: " + exits(a) + ", in B: " + exits(b) + ")");
        }
        return out;
    }

    /** The exits that both files hold answers for, shallowest first (for --per-exit). */
    public static List<Integer> commonExits(List<Answer> a, List<Answer> b) {
        TreeSet<Integer> common = exits(a);
        common.retainAll(exits(b));
        if (common.isEmpty()) throw new BadInputException("the answer files share no exit (A: " + exits(a) + ", B: " + exits(b) + ")");
        return List.copyOf(common);
    }

    public static TreeSet<Integer> exits(List<Answer> answers) {
        TreeSet<Integer> exits = new TreeSet<>();
        for (Answer answer : answers) exits.add(answer.exit());
        return exits;
    }

    /**
     * Judges every match in both orders.
     *
     * @param afterEach called after each judgement (progress)
     */
    public static Comparison compare(Judge judge, List<Match> matches, Runnable afterEach) {
        List<Judged> judged = new ArrayList<>();
        List<Verdict> ab = new ArrayList<>(), ba = new ArrayList<>();
        for (Match m : matches) {
            for (Order order : Order.values()) {
                Answer first = order == Order.AB ? m.a() : m.b(), second = order == Order.AB ? m.b() : m.a();
                var j = judge.judge(judge.format().prompt(m.a().instruction(), m.a().input(), first.output(), second.output()));
                judged.add(new Judged(m.a().id(), m.a().exit(), m.b().exit(), order, j.raw(), j.verdict()));
                (order == Order.AB ? ab : ba).add(j.verdict());
                afterEach.run();
            }
        }
        Match any = matches.getFirst();
        return new Comparison(any.a().exit(), any.b().exit(), judged, PairwiseScore.of(ab, ba));
    }

    /** Answers of either side at these exits that the other side lacks. */
    public static int unmatched(List<Answer> a, int aExit, List<Answer> b, int bExit, List<Match> matches) {
        long inA = a.stream().filter(x -> x.exit() == aExit).count(), inB = b.stream().filter(x -> x.exit() == bExit).count();
        return (int) (inA + inB - 2L * matches.size());
    }
}

package sortedllama.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import sortedllama.eval.PairwiseJudge.Comparison;
import sortedllama.eval.PairwiseJudge.Judged;

/** What {@code eval judge} prints and writes: a table, summary.json and judgements.jsonl. */
public final class JudgeReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JudgeReport() {}

    /** {"judge", "a", "b", "comparisons": [{"a_exit", "b_exit", "prompts", "score", "consistency", "ab", "ba", "combined", ...}]}. */
    public static ObjectNode summary(String judge, String a, String b, List<Comparison> comparisons, List<Integer> unmatched) {
        ObjectNode root = JSON.createObjectNode();
        root.put("judge", judge);
        root.put("a", a);
        root.put("b", b);
        var rows = root.putArray("comparisons");
        for (int i = 0; i < comparisons.size(); i++) {
            Comparison c = comparisons.get(i);
            PairwiseScore s = c.score();
            ObjectNode row = rows.addObject();
            row.put("a_exit", c.aExit());
            row.put("b_exit", c.bExit());
            row.put("prompts", s.prompts());
            row.put("unmatched", unmatched.get(i));
            row.put("score", s.score());
            row.put("consistency", s.consistency());
            tally(row.putObject("ab"), s.ab());
            tally(row.putObject("ba"), s.ba());
            tally(row.putObject("combined"), s.combined());
        }
        return root;
    }

    private static void tally(ObjectNode out, PairwiseScore.Tally t) {
        out.put("wins", t.wins());
        out.put("ties", t.ties());
        out.put("losses", t.losses());
        out.put("invalid", t.invalid());
        out.put("score", t.score());
    }

    /** One row per exit pair: A's combined wins, ties and losses over both orders, each order's score and the final one. */
    public static String table(String judge, List<Comparison> comparisons) {
        StringBuilder s = new StringBuilder("judge: ").append(judge).append('\n');
        s.append(String.format("%6s %6s %7s %5s %5s %5s %7s %8s %8s %7s %11s%n",
                "A exit", "B exit", "prompts", "win", "tie", "lose", "invalid", "AB", "BA", "score", "consistency"));
        for (Comparison c : comparisons) {
            PairwiseScore p = c.score();
            var all = p.combined();
            s.append(String.format(Locale.ROOT, "%6d %6d %7d %5d %5d %5d %7d %+8.3f %+8.3f %+7.3f %11.3f%n", c.aExit(), c.bExit(),
                    p.prompts(), all.wins(), all.ties(), all.losses(), all.invalid(), p.ab().score(), p.ba().score(), p.score(),
                    p.consistency()));
        }
        s.append("win/tie/lose: A's, over both orders (invalid verdicts count as ties); AB: A shown first; "
                + "score = mean over orders of (wins - losses) / prompts\n");
        return s.toString();
    }

    /** The scores of an exit-by-exit grid as a matrix: a row per exit of A, a column per exit of B. */
    public static String matrix(List<Comparison> comparisons) {
        var aExits = new TreeSet<Integer>();
        var bExits = new TreeSet<Integer>();
        var scores = new HashMap<List<Integer>, Double>();
        for (Comparison c : comparisons) {
            aExits.add(c.aExit());
            bExits.add(c.bExit());
            scores.put(List.of(c.aExit(), c.bExit()), c.score().score());
        }
        StringBuilder s = new StringBuilder(String.format("%n%9s", "A \\ B"));
        for (int b : bExits) s.append(String.format("%8d", b));
        s.append('\n');
        for (int a : aExits) {
            s.append(String.format("%9d", a));
            for (int b : bExits) {
                Double score = scores.get(List.of(a, b));
                s.append(score == null ? String.format("%8s", "-") : String.format(Locale.ROOT, "%+8.3f", score));
            }
            s.append('\n');
        }
        return s.toString();
    }

    /** judgements.jsonl: one line per prompt and order, with the judge's raw output. */
    public static String judgementLines(List<Comparison> comparisons) {
        StringBuilder s = new StringBuilder();
        for (Comparison c : comparisons) {
            for (Judged j : c.judgements()) {
                ObjectNode row = JSON.createObjectNode();
                row.put("id", j.id());
                row.put("a_exit", j.aExit());
                row.put("b_exit", j.bExit());
                row.put("order", j.order().name());
                row.put("verdict", j.verdict().label);
                row.put("outcome_for_a", switch (j.outcomeForA()) {
                    case 1 -> "win";
                    case -1 -> "lose";
                    default -> "tie";
                });
                row.put("raw", j.raw());
                s.append(row).append('\n');
            }
        }
        return s.toString();
    }
}

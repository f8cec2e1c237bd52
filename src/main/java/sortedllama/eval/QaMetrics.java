package sortedllama.eval;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Closed-book QA scores of one prediction against the gold answer and its aliases, each the best
 * over the aliases: exact match after normalisation, token F1 after normalisation, and the
 * case-sensitive exact match the paper reports for TriviaQA (the raw strings, stripped).
 */
public final class QaMetrics {
    private QaMetrics() {}

    public record Score(double exactMatch, double f1, double caseSensitiveExactMatch) {}

    public static Score score(String prediction, List<String> answers, AnswerNormalizer normalizer) {
        if (answers.isEmpty()) throw new IllegalArgumentException("no gold answers");
        double em = 0, f1 = 0, cs = 0;
        String normalizedPrediction = normalizer.normalize(prediction);
        for (String answer : answers) {
            String gold = normalizer.normalize(answer);
            em = Math.max(em, normalizedPrediction.equals(gold) ? 1 : 0);
            f1 = Math.max(f1, f1(normalizedPrediction, gold));
            cs = Math.max(cs, prediction.strip().equals(answer.strip()) ? 1 : 0);
        }
        return new Score(em, f1, cs);
    }

    /** Token-overlap F1 of two normalised strings, as the official scripts compute it. */
    static double f1(String prediction, String gold) {
        List<String> p = PythonStrings.splitWhitespace(prediction), g = PythonStrings.splitWhitespace(gold);
        Map<String, Integer> goldCounts = new HashMap<>();
        for (String t : g) goldCounts.merge(t, 1, Integer::sum);
        int common = 0;
        for (String t : p) {
            Integer left = goldCounts.get(t);
            if (left != null && left > 0) {
                common++;
                goldCounts.put(t, left - 1);
            }
        }
        if (common == 0) return 0;
        double precision = (double) common / p.size(), recall = (double) common / g.size();
        return 2 * precision * recall / (precision + recall);
    }
}

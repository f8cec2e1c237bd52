package sortedllama.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Normalisation, exact match and F1 against the official SQuAD / TriviaQA logic run on Python 3
 * (src/test/resources/eval/qa_normalization.json, made by tools/eval/make_qa_fixtures.py):
 * Unicode case mapping, Unicode word boundaries and whitespace, curly quotes, underscores.
 */
class QaMetricsTest {
    static JsonNode fixture() throws IOException {
        try (var in = QaMetricsTest.class.getResourceAsStream("/eval/qa_normalization.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    @Test
    void normalisationMatchesTheOfficialScripts() throws IOException {
        for (JsonNode c : fixture().get("normalize")) {
            String input = c.get("input").asText();
            assertEquals(c.get("squad").asText(), AnswerNormalizer.SQUAD.normalize(input), "SQuAD: " + input);
            assertEquals(c.get("triviaqa").asText(), AnswerNormalizer.TRIVIAQA.normalize(input), "TriviaQA: " + input);
        }
    }

    @Test
    void scoresMatchTheOfficialScripts() throws IOException {
        for (JsonNode c : fixture().get("score")) {
            var normalizer = AnswerNormalizer.valueOf(c.get("normalizer").asText().toUpperCase());
            List<String> answers = new ArrayList<>();
            c.get("answers").forEach(a -> answers.add(a.asText()));
            String prediction = c.get("prediction").asText();
            var score = QaMetrics.score(prediction, answers, normalizer);
            String what = normalizer + " " + prediction + " vs " + answers;
            assertEquals(c.get("exact_match").asDouble(), score.exactMatch(), 0, what);
            assertEquals(c.get("f1").asDouble(), score.f1(), 1e-12, what);
            assertEquals(c.get("case_sensitive_exact_match").asDouble(), score.caseSensitiveExactMatch(), 0, what);
        }
    }
}

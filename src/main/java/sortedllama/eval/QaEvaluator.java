package sortedllama.eval;

import java.util.List;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaModel;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.train.data.Example;

/**
 * Closed-book QA at every exit: each question's prompt is answered greedily at the exit (up to
 * EOS, a newline or the token limit) and scored against the gold answer and its aliases with
 * TriviaQA's normalisation; the case-sensitive exact match the paper reports is kept too.
 */
public final class QaEvaluator {

    /** Mean scores of one exit over the questions, each in [0, 1]. */
    public record ExitQaScore(int layer, double exactMatch, double f1, double caseSensitiveExactMatch, int questions) {}

    private QaEvaluator() {}

    /** @param examples questions as the data pipeline reads them (prompt ids and answers) */
    public static ExitQaScore[] evaluate(LlamaModel model, Tokenizer tokenizer, List<Example> examples, ExitSet exits, int maxTokens) {
        int[] layers = exits.layers();
        ExitQaScore[] out = new ExitQaScore[layers.length];
        for (int e = 0; e < layers.length; e++) {
            double em = 0, f1 = 0, cs = 0;
            for (Example example : examples) {
                String answer = answer(model, tokenizer, example.prompt(), layers[e], maxTokens);
                var score = QaMetrics.score(answer, example.answers(), AnswerNormalizer.TRIVIAQA);
                em += score.exactMatch();
                f1 += score.f1();
                cs += score.caseSensitiveExactMatch();
            }
            int n = Math.max(1, examples.size());
            out[e] = new ExitQaScore(layers[e], em / n, f1 / n, cs / n, examples.size());
        }
        return out;
    }

    /** The greedy answer at one exit: its first line, stripped. */
    static String answer(LlamaModel model, Tokenizer tokenizer, int[] prompt, int exit, int maxTokens) {
        return firstLine(GreedyAnswer.text(model, tokenizer, prompt, exit, maxTokens));
    }

    /** What a closed-book answer is taken to be: the first line of what the model wrote, stripped. */
    public static String firstLine(String text) {
        int newline = text.indexOf('\n');
        return (newline >= 0 ? text.substring(0, newline) : text).strip();
    }
}

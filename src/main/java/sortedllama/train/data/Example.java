package sortedllama.train.data;

import java.util.Arrays;
import java.util.List;

/**
 * One training sequence: its token ids (BOS, prompt, response, EOS) and where the part the model
 * learns to produce begins. Token {@code j} is predicted from tokens {@code 0..j-1}; the prediction
 * counts in the loss when {@code j >= responseStart}. So for a prompt/response pair the loss covers
 * exactly the response and its EOS; for a plain document ({@code responseStart == 1}) every token
 * after BOS.
 *
 * @param tokens        at least 2 ids: the first is never predicted, the last never an input
 * @param responseStart index of the first token whose prediction counts, 1..tokens.length-1
 * @param answers       reference answers for evaluation (TriviaQA: the value, then its aliases); empty
 *                      when the format has none
 */
public record Example(int[] tokens, int responseStart, List<String> answers) {

    public Example {
        if (tokens.length < 2) throw new IllegalArgumentException("an example needs at least 2 tokens, not " + tokens.length);
        if (responseStart < 1 || responseStart >= tokens.length) {
            throw new IllegalArgumentException("response start " + responseStart + " outside 1.." + (tokens.length - 1));
        }
        answers = List.copyOf(answers);
    }

    /** Token count, BOS and EOS included. */
    public int length() {
        return tokens.length;
    }

    /** Positions it fills in a row: every token but the last is an input. */
    public int positions() {
        return tokens.length - 1;
    }

    /** Predictions that count in the loss. */
    public int countedTargets() {
        return tokens.length - responseStart;
    }

    /** BOS and the prompt: what a model is given at evaluation time. */
    public int[] prompt() {
        return Arrays.copyOf(tokens, responseStart);
    }

    /** The response and EOS: what the model learns to produce. */
    public int[] response() {
        return Arrays.copyOfRange(tokens, responseStart, tokens.length);
    }

    /**
     * The tokens {@code [from, to)} as an example of their own, or null when no counted prediction
     * falls inside (the window's first token is never predicted).
     */
    Example window(int from, int to) {
        int start = Math.max(responseStart - from, 1);
        if (to - from < 2 || start >= to - from) return null;
        return new Example(Arrays.copyOfRange(tokens, from, to), start, answers);
    }
}

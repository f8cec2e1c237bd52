package sortedllama.infer;

import java.util.Arrays;

/**
 * The log probability of a chosen token and of the most probable alternatives, under the
 * distribution of the logits it was chosen from (softmax at temperature 1, before any top-k or
 * top-p cut: the model's own belief, as OpenAI's logprobs report it). Tokens at -infinity (masked
 * by an output constraint) are never alternatives, so there may be fewer than asked for.
 *
 * @param topIds      the {@code top} most probable tokens, most probable first (ties: lower id first)
 * @param topLogprobs their log probabilities
 */
public record TokenLogprobs(int token, float logprob, int[] topIds, float[] topLogprobs) {

    public static TokenLogprobs of(float[] logits, int token, int top) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        double sum = 0;
        for (float v : logits) sum += Math.exp(v - max);
        float logZ = (float) (max + Math.log(sum));
        int k = Math.min(top, logits.length);
        int[] ids = new int[k];
        float[] lps = new float[k];
        // k is small (at most 20): keep the best k by insertion
        int filled = 0;
        for (int id = 0; id < logits.length; id++) {
            float v = logits[id];
            if (v == Float.NEGATIVE_INFINITY) continue; // a token masked out (structured output): no alternative
            if (filled == k && (k == 0 || v <= logits[ids[k - 1]])) continue;
            int at = filled < k ? filled++ : k - 1;
            while (at > 0 && logits[ids[at - 1]] < v) {
                ids[at] = ids[at - 1];
                at--;
            }
            ids[at] = id;
        }
        for (int i = 0; i < filled; i++) lps[i] = logits[ids[i]] - logZ;
        return new TokenLogprobs(token, logits[token] - logZ, Arrays.copyOf(ids, filled), Arrays.copyOf(lps, filled));
    }
}

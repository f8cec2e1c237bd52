package sortedllama.train.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Fits examples to rows of T positions, that is at most T + 1 tokens, as {@link LongExamplePolicy}
 * says, and counts every example it changes so that nothing is cut or lost silently. A truncation
 * that would leave no counted prediction (the prompt alone fills the row) drops the example instead,
 * and counts it as dropped.
 */
final class LengthLimit {
    private final int maxTokens;
    private final LongExamplePolicy policy;
    private int truncated;
    private int dropped;
    private int split;
    private int longest;

    LengthLimit(int seqLen, LongExamplePolicy policy) {
        this.maxTokens = seqLen + 1;
        this.policy = policy;
    }

    List<Example> apply(List<Example> examples) {
        List<Example> out = new ArrayList<>(examples.size());
        for (Example e : examples) fit(e, out);
        return out;
    }

    private void fit(Example e, List<Example> out) {
        longest = Math.max(longest, e.length());
        if (e.length() <= maxTokens) {
            out.add(e);
            return;
        }
        switch (policy) {
            case TRUNCATE -> {
                Example kept = e.window(0, maxTokens);
                if (kept == null) {
                    dropped++;
                } else {
                    truncated++;
                    out.add(kept);
                }
            }
            case DROP -> dropped++;
            case SPLIT -> {
                split++;
                // consecutive windows overlap by one token: a window's last token is the next one's
                // first input, so every token after the first is predicted exactly once
                for (int from = 0; from < e.length() - 1; from += maxTokens - 1) {
                    Example window = e.window(from, Math.min(from + maxTokens, e.length()));
                    if (window != null) out.add(window);
                }
            }
        }
    }

    int truncated() {
        return truncated;
    }

    int dropped() {
        return dropped;
    }

    int split() {
        return split;
    }

    /** The longest example seen, in tokens, before fitting: what T would need to be to cut nothing. */
    int longest() {
        return longest;
    }
}

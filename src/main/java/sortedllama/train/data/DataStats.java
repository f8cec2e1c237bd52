package sortedllama.train.data;

import java.util.List;
import java.util.Locale;

/**
 * What loading the data did, for one line of the log: examples kept, tokens, lengths (after the
 * length limit, in tokens with BOS and EOS), and everything cut, split, dropped or skipped.
 *
 * @param trainedTokens      tokens whose prediction counts in the loss
 * @param longestBeforeLimit the longest example as read, before the length limit
 * @param split              examples cut into several windows ({@link LongExamplePolicy#SPLIT})
 * @param dropped            examples left out for their length
 * @param badRecords         malformed records skipped
 */
public record DataStats(int trainExamples, int validationExamples, long tokens, long trainedTokens, double meanLength,
                        int maxLength, int longestBeforeLimit, int truncated, int split, int dropped, int badRecords) {

    static DataStats of(List<Example> train, List<Example> validation, LengthLimit limit, BadRecords bad) {
        long tokens = 0, trained = 0;
        int max = 0;
        for (List<Example> part : List.of(train, validation)) {
            for (Example e : part) {
                tokens += e.length();
                trained += e.countedTargets();
                max = Math.max(max, e.length());
            }
        }
        int count = train.size() + validation.size();
        double mean = count == 0 ? 0 : (double) tokens / count;
        return new DataStats(train.size(), validation.size(), tokens, trained, mean, max, limit.longest(),
                limit.truncated(), limit.split(), limit.dropped(), bad.count());
    }

    /** One line for the log. */
    public String summary() {
        return String.format(Locale.ROOT,
                "data: %d train + %d validation examples, %d tokens (%.1f%% trained on), length mean %.1f max %d"
                        + " (longest as read %d); %d truncated, %d split, %d dropped as too long, %d bad records skipped",
                trainExamples, validationExamples, tokens, tokens == 0 ? 0 : 100.0 * trainedTokens / tokens, meanLength,
                maxLength, longestBeforeLimit, truncated, split, dropped, badRecords);
    }
}

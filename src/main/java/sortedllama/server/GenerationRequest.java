package sortedllama.server;

import java.util.List;
import sortedllama.infer.DecodePlan;
import sortedllama.infer.Sampler;
import sortedllama.infer.json.ValueGrammar;

/**
 * A validated completion or chat request, ready to run: what to feed, how to decode, when to stop.
 *
 * @param prompt       token ids, BOS and chat formatting included
 * @param samplers     one sampler per choice (n), each with its own seeded random stream
 * @param stop         stop strings, possibly none
 * @param includeUsage stream a last chunk with token counts (stream_options.include_usage)
 * @param topLogprobs  report each token's log probability and this many alternatives; -1: no logprobs
 * @param format       the grammar the output must follow (response_format json_object or json_schema), or null
 */
record GenerationRequest(int[] prompt, int maxTokens, List<Sampler> samplers, List<String> stop, DecodePlan plan,
                         boolean stream, boolean includeUsage, int topLogprobs, ValueGrammar format) {
    /** Choices to generate (OpenAI's n). */
    int choices() {
        return samplers.size();
    }
}

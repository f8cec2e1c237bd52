package sortedllama.infer;

import java.util.Arrays;
import sortedllama.BadInputException;
import sortedllama.model.LlamaConfig;

/**
 * Where generated tokens go, whatever the decoding strategy: it streams them to a listener and
 * decides when generation is over (EOS emitted, token limit reached, context full).
 */
final class TokenSink {
    private final int[] tokens;
    private final int[] depths;
    private final int eosId;
    private final Generator.TokenListener listener;
    private int count;
    private Generator.StopReason stop;

    TokenSink(int maxTokens, int eosId, Generator.TokenListener listener) {
        this.tokens = new int[maxTokens];
        this.depths = new int[maxTokens];
        this.eosId = eosId;
        this.listener = listener;
        if (maxTokens == 0) stop = Generator.StopReason.MAX_TOKENS;
    }

    /** Validates a prompt and returns the KV cache size it needs with room for {@code maxTokens}. */
    static int cacheCapacity(LlamaConfig c, int[] prompt, int maxTokens) {
        if (prompt.length == 0) throw new BadInputException("the prompt is empty: give at least one token (e.g. BOS)");
        if (maxTokens < 0) throw new BadInputException("--max-tokens must be >= 0, got " + maxTokens);
        if (c.generationRoom(prompt.length) == 0) {
            throw new BadInputException("the prompt has " + prompt.length + " tokens but the model's context is "
                    + c.contextLength());
        }
        return prompt.length + Math.min(maxTokens, c.generationRoom(prompt.length));
    }

    /** Emits one token chosen from the logits of layer {@code depth}; returns true when generation must stop. */
    boolean emit(int token, int depth) {
        if (stop != null) return true;
        depths[count] = depth;
        tokens[count++] = token;
        if (listener != null) listener.onToken(token);
        if (token == eosId) stop = Generator.StopReason.EOS;
        else if (count == tokens.length) stop = Generator.StopReason.MAX_TOKENS;
        return stop != null;
    }

    void stopAtContextEnd() {
        if (stop == null) stop = Generator.StopReason.CONTEXT_FULL;
    }

    boolean done() {
        return stop != null;
    }

    /** Tokens still allowed. */
    int remaining() {
        return tokens.length - count;
    }

    int last() {
        return tokens[count - 1];
    }

    int count() {
        return count;
    }

    int[] tokens() {
        return Arrays.copyOf(tokens, count);
    }

    int[] depths() {
        return Arrays.copyOf(depths, count);
    }

    /** Everything the generation produced, timed from the start and end of the prompt's prefill. */
    Generator.Result result(long prefillStart, long prefillEnd, double acceptance) {
        return new Generator.Result(tokens(), depths(), stop(), prefillEnd - prefillStart, System.nanoTime() - prefillEnd,
                acceptance);
    }

    Generator.StopReason stop() {
        return stop == null ? Generator.StopReason.MAX_TOKENS : stop;
    }
}

package sortedllama.infer;

import sortedllama.BadInputException;
import sortedllama.model.KVCache;
import sortedllama.model.LlamaModel;

/**
 * Prompt in, tokens out, at a fixed exit layer: one batched prefill of the prompt, then one
 * forward pass per new token, stopping at EOS, at the token limit or at the end of the context.
 */
public final class Generator {

    /** Called with each new token as soon as it is chosen (for streaming). */
    @FunctionalInterface
    public interface TokenListener {
        void onToken(int token);
    }

    public enum StopReason { EOS, MAX_TOKENS, CONTEXT_FULL }

    public record Result(int[] tokens, StopReason stop, long prefillNanos, long decodeNanos) {
        /** Decoding speed, not counting the prefill. */
        public double decodeTokensPerSecond() {
            return tokens.length <= 1 ? 0 : (tokens.length - 1) / (decodeNanos / 1e9);
        }
    }

    private final LlamaModel model;

    public Generator(LlamaModel model) {
        this.model = model;
    }

    /**
     * @param eosId stop after emitting this token; -1 never stops early
     */
    public Result generate(int[] prompt, int maxTokens, int exitLayer, Sampler sampler, int eosId, TokenListener listener) {
        var c = model.config();
        c.checkExitLayer(exitLayer);
        if (prompt.length == 0) throw new BadInputException("the prompt is empty: give at least one token (e.g. BOS)");
        if (maxTokens < 0) throw new BadInputException("--max-tokens must be >= 0, got " + maxTokens);
        if (prompt.length >= c.contextLength()) {
            throw new BadInputException("the prompt has " + prompt.length + " tokens but the model's context is "
                    + c.contextLength());
        }
        int capacity = Math.min(c.contextLength(), prompt.length + maxTokens);
        KVCache cache = model.newCache(capacity);
        int[] out = new int[maxTokens];
        int n = 0;
        StopReason stop = StopReason.MAX_TOKENS;

        long t0 = System.nanoTime();
        float[] logits = model.forward(cache, prompt, exitLayer, false);
        long prefill = System.nanoTime() - t0;
        long t1 = System.nanoTime();
        while (n < maxTokens) {
            int next = sampler.sample(logits);
            out[n++] = next;
            if (listener != null) listener.onToken(next);
            if (next == eosId) {
                stop = StopReason.EOS;
                break;
            }
            if (n == maxTokens) break;
            if (cache.length() >= capacity) {
                stop = StopReason.CONTEXT_FULL;
                break;
            }
            logits = model.forward(cache, new int[] {next}, exitLayer, false);
        }
        long decode = System.nanoTime() - t1;
        return new Result(java.util.Arrays.copyOf(out, n), stop, prefill, decode);
    }
}

package sortedllama.infer;

import java.util.Arrays;
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

    /**
     * What a generation produced and what it cost.
     *
     * @param depths     for each token, the layer whose logits chose it
     * @param acceptance fraction of drafted tokens the full model accepted (speculative decoding), else NaN
     */
    public record Result(int[] tokens, int[] depths, StopReason stop, long prefillNanos, long decodeNanos,
                         double acceptance) {
        /** Mean depth of the tokens' exits. */
        public double meanDepth() {
            return Arrays.stream(depths).average().orElse(0);
        }

        /**
         * Tokens per second after the first (which the prompt's prefill pays for), as llama2.c's
         * run.c counts: the same convention for every decoding strategy.
         */
        public double decodeTokensPerSecond() {
            return tokens.length <= 1 || decodeNanos == 0 ? 0 : (tokens.length - 1) / (decodeNanos / 1e9);
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
        model.config().checkExitLayer(exitLayer);
        KVCache cache = model.newCache(TokenSink.cacheCapacity(model.config(), prompt, maxTokens));
        var sink = new TokenSink(maxTokens, eosId, listener);
        long t0 = System.nanoTime();
        float[] logits = model.forward(cache, prompt, exitLayer, false);
        long t1 = System.nanoTime();
        while (!sink.emit(sampler.sample(logits), exitLayer)) {
            if (cache.length() >= cache.capacity()) {
                sink.stopAtContextEnd();
                break;
            }
            logits = model.forward(cache, new int[] {sink.last()}, exitLayer, false);
        }
        return sink.result(t0, t1, Double.NaN);
    }
}

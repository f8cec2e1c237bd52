package sortedllama.server;

import java.util.ArrayList;
import java.util.List;
import sortedllama.infer.ContinuousBatcher;
import sortedllama.infer.TokenLogprobs;
import sortedllama.infer.Generator;
import sortedllama.tokenizer.StreamingDecoder;

/**
 * The listener a generation reports each token to: it turns tokens into text as they come
 * (UTF-8-safe, via {@link StreamingDecoder}), applies stop strings and turn-ending tokens,
 * hands finished text to the request's output, and ends the generation past the deadline or
 * when the server stops. Per token it does only that: no logging, no metrics.
 */
final class TokenStream implements Generator.TokenListener, ContinuousBatcher.LogprobListener {
    /** Where finished text goes, with the log probabilities of the tokens it came from when asked for (else empty). */
    @FunctionalInterface
    interface Output {
        void accept(String text, List<TokenLogprobs> logprobs);
    }

    private final ServingModel model;
    private final StreamingDecoder decoder;
    private final StopStrings stops;
    private final Output out;
    private final List<TokenLogprobs> pendingLogprobs = new ArrayList<>();
    private final long deadlineNanos;
    private int tokens;
    private long firstTokenNanos, lastTokenNanos;
    private boolean stopped, timedOut;

    /**
     * @param out receives text as soon as it is final; it may throw (e.g. {@link ClientGoneException})
     *            to end the generation
     */
    TokenStream(ServingModel model, GenerationRequest request, Output out, long deadlineNanos) {
        this.model = model;
        this.decoder = new StreamingDecoder(model.tokenizer(), request.prompt()[request.prompt().length - 1]);
        this.stops = new StopStrings(request.stop());
        this.out = out;
        this.deadlineNanos = deadlineNanos;
    }

    /** A token with its log probabilities; a turn-ending token's are not reported, as it is not part of the text. */
    @Override
    public void onToken(int token, TokenLogprobs logprobs) {
        if (logprobs != null && !model.isStopToken(token)) pendingLogprobs.add(logprobs);
        onToken(token);
    }

    @Override
    public void onToken(int token) {
        long now = System.nanoTime();
        if (tokens++ == 0) firstTokenNanos = now;
        lastTokenNanos = now;
        if (model.isStopToken(token)) {
            stopped = true;
            // The generator stops by itself after its EOS; other turn-ending tokens need stopping.
            if (token != model.eosId()) throw new GenerationStopped("turn-ending token " + token);
            return;
        }
        emit(stops.feed(decoder.feed(token)));
        if (stops.matched()) {
            stopped = true;
            throw new GenerationStopped("stop string");
        }
        if (now - deadlineNanos > 0) {
            timedOut = true;
            throw new GenerationStopped("request timeout");
        }
        // Jetty interrupts its threads when the server stops without finishing in time.
        if (Thread.currentThread().isInterrupted()) throw new GenerationStopped("server stopping");
    }

    /** Releases the text still held back (an unfinished character, a possible stop string's start). */
    void finish() {
        String tail = stops.feed(decoder.flush());
        if (!stops.matched()) tail += stops.flush();
        emit(tail);
    }

    private void emit(String text) {
        if (text.isEmpty()) return;
        List<TokenLogprobs> logprobs = List.copyOf(pendingLogprobs);
        pendingLogprobs.clear();
        out.accept(text, logprobs);
    }

    Completion completion(int promptTokens, Generator.Result result) {
        double seconds = (lastTokenNanos - firstTokenNanos) / 1e9;
        double tokensPerSecond = tokens <= 1 || seconds <= 0 ? 0 : (tokens - 1) / seconds;
        return new Completion(promptTokens, tokens, stopped ? "stop" : "length", tokensPerSecond, result, timedOut);
    }
}

package sortedllama.server;

import java.time.Duration;
import java.util.List;
import sortedllama.BadInputException;

/**
 * How the server shares the machine between requests.
 *
 * @param host             interface to listen on ("127.0.0.1" keeps it private to this machine, "0.0.0.0" opens it)
 * @param maxConcurrent    generations that run at once: with batching, the most decoded together in one pass; without,
 *                         each runs on its own, its products on every core that is free
 * @param maxQueue         requests that may wait for a free generation; one more gets 429
 * @param requestTimeout   a request's whole life, waiting included: generation then stops with finish_reason "length"
 * @param defaultMaxTokens max_tokens when a request gives none
 * @param logRequests      one line per finished request on the platform logger (never per token)
 * @param batching         generations of every mode share one pass per step (continuous batching);
 *                         false runs every generation on its own, as before batching (the baseline of bench serve)
 * @param mergeMessages    reshape chat messages before the template ({@link ChatMessage#merged}: developer as system,
 *                         every system message as one, consecutive messages of a role as one) instead of refusing a
 *                         conversation the template cannot express
 * @param corsOrigins      origins a browser may call the API from (CORS), "*" for any; empty: none (the default, as a
 *                         page from elsewhere should not reach a local model unasked)
 */
public record ServerOptions(String host, int maxConcurrent, int maxQueue, Duration requestTimeout, int defaultMaxTokens,
                            boolean logRequests, boolean batching, boolean mergeMessages, List<String> corsOrigins) {
    /** Generations batched together by default: past this, a step's products stop being bound by reading the weights. */
    public static final int DEFAULT_BATCH = 16;

    public ServerOptions {
        corsOrigins = List.copyOf(corsOrigins);
        if (maxConcurrent < 1) throw new BadInputException("the server needs at least 1 concurrent generation, got " + maxConcurrent);
        if (maxQueue < 0) throw new BadInputException("the server's queue length must be >= 0, got " + maxQueue);
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new BadInputException("the request timeout must be positive, got " + requestTimeout);
        }
        if (defaultMaxTokens < 0) throw new BadInputException("the default max_tokens must be >= 0, got " + defaultMaxTokens);
    }

    /** Loopback only, batches of {@value #DEFAULT_BATCH}, a queue of four per slot, five minutes per request, 256 tokens. */
    public static ServerOptions defaults() {
        return new ServerOptions("127.0.0.1", DEFAULT_BATCH, 4 * DEFAULT_BATCH, Duration.ofMinutes(5), 256, true, true, false, List.of());
    }

    public ServerOptions withHost(String newHost) {
        return new ServerOptions(newHost, maxConcurrent, maxQueue, requestTimeout, defaultMaxTokens, logRequests, batching, mergeMessages, corsOrigins);
    }

    public ServerOptions withLimits(int newMaxConcurrent, int newMaxQueue) {
        return new ServerOptions(host, newMaxConcurrent, newMaxQueue, requestTimeout, defaultMaxTokens, logRequests, batching, mergeMessages, corsOrigins);
    }

    public ServerOptions withRequestTimeout(Duration timeout) {
        return new ServerOptions(host, maxConcurrent, maxQueue, timeout, defaultMaxTokens, logRequests, batching, mergeMessages, corsOrigins);
    }

    public ServerOptions withLogRequests(boolean log) {
        return new ServerOptions(host, maxConcurrent, maxQueue, requestTimeout, defaultMaxTokens, log, batching, mergeMessages, corsOrigins);
    }

    /**
     * Batching on or off. Off, one generation runs at a time and four per core may wait: a generation's products
     * already use every core, and one per core at once crowded them (2 cores, 8 clients, alternating runs: 189-227
     * tokens/s against 220-258 one at a time, with less than half the time per token and the same time to first token; BENCHMARKS.md).
     */
    public ServerOptions withBatching(boolean on) {
        int slots = on ? DEFAULT_BATCH : 1, queue = on ? 4 * DEFAULT_BATCH : 4 * Runtime.getRuntime().availableProcessors();
        return new ServerOptions(host, slots, queue, requestTimeout, defaultMaxTokens, logRequests, on, mergeMessages, corsOrigins);
    }

    public ServerOptions withMergeMessages(boolean on) {
        return new ServerOptions(host, maxConcurrent, maxQueue, requestTimeout, defaultMaxTokens, logRequests, batching, on, corsOrigins);
    }

    public ServerOptions withCorsOrigins(List<String> origins) {
        return new ServerOptions(host, maxConcurrent, maxQueue, requestTimeout, defaultMaxTokens, logRequests, batching, mergeMessages,
                origins);
    }
}

package sortedllama.server;

import java.time.Duration;
import sortedllama.BadInputException;

/**
 * How the server shares the machine between requests.
 *
 * @param host             interface to listen on ("127.0.0.1" keeps it private to this machine, "0.0.0.0" opens it)
 * @param maxConcurrent    generations that run at once; each takes a core's worth of matrix work
 * @param maxQueue         requests that may wait for a free generation; one more gets 429
 * @param requestTimeout   a request's whole life, waiting included: generation then stops with finish_reason "length"
 * @param defaultMaxTokens max_tokens when a request gives none
 * @param logRequests      one line per finished request on the platform logger (never per token)
 */
public record ServerOptions(String host, int maxConcurrent, int maxQueue, Duration requestTimeout, int defaultMaxTokens,
                            boolean logRequests) {

    public ServerOptions {
        if (maxConcurrent < 1) throw new BadInputException("the server needs at least 1 concurrent generation, got " + maxConcurrent);
        if (maxQueue < 0) throw new BadInputException("the server's queue length must be >= 0, got " + maxQueue);
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new BadInputException("the request timeout must be positive, got " + requestTimeout);
        }
        if (defaultMaxTokens < 0) throw new BadInputException("the default max_tokens must be >= 0, got " + defaultMaxTokens);
    }

    /** Loopback only, one generation per core, a queue of four per slot, five minutes per request, 256 tokens. */
    public static ServerOptions defaults() {
        int cores = Runtime.getRuntime().availableProcessors();
        return new ServerOptions("127.0.0.1", cores, 4 * cores, Duration.ofMinutes(5), 256, true);
    }

    public ServerOptions withHost(String newHost) {
        return new ServerOptions(newHost, maxConcurrent, maxQueue, requestTimeout, defaultMaxTokens, logRequests);
    }

    public ServerOptions withLimits(int newMaxConcurrent, int newMaxQueue) {
        return new ServerOptions(host, newMaxConcurrent, newMaxQueue, requestTimeout, defaultMaxTokens, logRequests);
    }

    public ServerOptions withRequestTimeout(Duration timeout) {
        return new ServerOptions(host, maxConcurrent, maxQueue, timeout, defaultMaxTokens, logRequests);
    }

    public ServerOptions withDefaultMaxTokens(int tokens) {
        return new ServerOptions(host, maxConcurrent, maxQueue, requestTimeout, tokens, logRequests);
    }

    public ServerOptions withLogRequests(boolean log) {
        return new ServerOptions(host, maxConcurrent, maxQueue, requestTimeout, defaultMaxTokens, log);
    }
}

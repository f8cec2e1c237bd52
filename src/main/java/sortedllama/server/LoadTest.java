package sortedllama.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import sortedllama.BadInputException;

/**
 * A small load generator for a running server: {@code requests} completions from
 * {@code concurrency} clients at once, then requests/s, tokens/s and latency percentiles (with
 * streaming, also time to first token and time per output token). It talks to loopback addresses
 * only and stops at its request count or its time limit, whichever comes first, so it cannot turn
 * into a flood. {@code bench serve} runs it at several concurrency levels.
 *
 * <pre>java -cp ... sortedllama.server.LoadTest --url http://127.0.0.1:8080 --requests 100 --concurrency 4 --max-tokens 32 [--stream] [--chat]</pre>
 */
public final class LoadTest {
    static final int MAX_REQUESTS = 100_000;

    /**
     * @param url       the server's base URL; its host must be a loopback address
     * @param timeLimit no request starts after this much time
     * @param prompts   the prompts, taken in turn (request i gets prompt i mod n): distinct prompts keep the
     *                  server from sharing one prefill between requests that meet, as it does for the same prompt
     * @param variants  extra fields for the requests in turn (request i gets variant i mod n, e.g. an exit_layer for
     *                  mixed traffic); empty: none
     */
    public record Config(URI url, int requests, int concurrency, int maxTokens, boolean stream, boolean chat, List<String> prompts,
                         Duration timeLimit, List<ObjectNode> variants) {
        public Config(URI url, int requests, int concurrency, int maxTokens, boolean stream, boolean chat, String prompt,
                      Duration timeLimit) {
            this(url, requests, concurrency, maxTokens, stream, chat, List.of(prompt), timeLimit, List.of());
        }

        public Config {
            prompts = List.copyOf(prompts);
            variants = List.copyOf(variants);
            if (prompts.isEmpty()) throw new BadInputException("the load test needs at least one prompt");
            if (requests < 1 || requests > MAX_REQUESTS) throw new BadInputException("requests must be in 1.." + MAX_REQUESTS + ", got " + requests);
            if (concurrency < 1 || concurrency > 256) throw new BadInputException("concurrency must be in 1..256, got " + concurrency);
            if (maxTokens < 0) throw new BadInputException("max tokens must be >= 0, got " + maxTokens);
            if (timeLimit.isNegative() || timeLimit.isZero()) throw new BadInputException("the time limit must be positive");
            requireLoopback(url);
        }
    }

    /**
     * @param latencies         milliseconds from sending each successful request to its last byte, ascending
     * @param firstTokenMs      streamed requests: milliseconds from sending to the first text, ascending
     * @param perOutputTokenMs  streamed requests of 2 or more tokens: milliseconds per token after the first, ascending
     */
    public record Report(int sent, int succeeded, int failed, double seconds, long tokens, double[] latencies,
                         double[] firstTokenMs, double[] perOutputTokenMs) {
        public double requestsPerSecond() {
            return seconds > 0 ? succeeded / seconds : 0;
        }

        public double tokensPerSecond() {
            return seconds > 0 ? tokens / seconds : 0;
        }

        /** Latency at quantile q (nearest rank), in milliseconds; NaN when nothing succeeded. */
        public double latencyMs(double q) {
            return quantile(latencies, q);
        }

        /** Time per output token at quantile q over the streamed requests, in milliseconds. */
        public double perOutputTokenMs(double q) {
            return quantile(perOutputTokenMs, q);
        }

        /** Time to first token at quantile q over the streamed requests, in milliseconds. */
        public double firstTokenMs(double q) {
            return quantile(firstTokenMs, q);
        }

        /** The nearest-rank quantile of ascending values; NaN when there are none. */
        static double quantile(double[] ascending, double q) {
            if (ascending.length == 0) return Double.NaN;
            int rank = (int) Math.ceil(q * ascending.length);
            return ascending[Math.clamp(rank - 1, 0, ascending.length - 1)];
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d requests (%d ok, %d failed) in %.2f s: %.2f requests/s, %.1f tokens/s, "
                            + "latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms", sent, succeeded, failed, seconds, requestsPerSecond(),
                    tokensPerSecond(), latencyMs(0.5), latencyMs(0.9), latencyMs(0.99))
                    + (perOutputTokenMs.length == 0 ? "" : String.format(Locale.ROOT,
                    ", first token p50 %.1f ms, per output token p50 %.2f ms, p99 %.2f ms", firstTokenMs(0.5),
                    perOutputTokenMs(0.5), perOutputTokenMs(0.99)));
        }
    }

    private LoadTest() {}

    public static Report run(Config config) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        double[] latencies = new double[config.requests()], firstToken = new double[config.requests()],
                perToken = new double[config.requests()];
        Arrays.fill(firstToken, Double.NaN);
        Arrays.fill(perToken, Double.NaN);
        AtomicInteger next = new AtomicInteger(), succeeded = new AtomicInteger(), failed = new AtomicInteger();
        AtomicLong tokens = new AtomicLong();
        long start = System.nanoTime(), stopStarting = start + config.timeLimit().toNanos();
        ExecutorService clients = Executors.newFixedThreadPool(config.concurrency());
        for (int c = 0; c < config.concurrency(); c++) {
            clients.execute(() -> {
                for (int i; System.nanoTime() < stopStarting && (i = next.getAndIncrement()) < config.requests(); ) {
                    long t0 = System.nanoTime();
                    Sample sample = send(http, request(config, i), config.stream(), t0);
                    if (sample == null) {
                        failed.incrementAndGet();
                        latencies[i] = Double.NaN;
                    } else {
                        latencies[i] = (System.nanoTime() - t0) / 1e6;
                        firstToken[i] = sample.firstTokenMs;
                        perToken[i] = sample.perOutputTokenMs;
                        tokens.addAndGet(sample.tokens);
                        succeeded.incrementAndGet();
                    }
                }
            });
        }
        clients.shutdown();
        // Each request is bounded by the request timeout, so this wait is bounded too.
        if (!clients.awaitTermination(config.timeLimit().toSeconds() + 2 * requestTimeout(config).toSeconds(), TimeUnit.SECONDS)) {
            clients.shutdownNow();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        int sent = Math.min(next.get(), config.requests());
        return new Report(sent, succeeded.get(), failed.get(), seconds, tokens.get(), measured(latencies, sent),
                measured(firstToken, sent), measured(perToken, sent));
    }

    /** The first {@code n} values that were measured, ascending. */
    private static double[] measured(double[] values, int n) {
        return Arrays.stream(values, 0, n).filter(v -> !Double.isNaN(v) && v > 0).sorted().toArray();
    }

    /** One answered request: its completion tokens and, when streamed, its token timing (NaN otherwise). */
    private record Sample(long tokens, double firstTokenMs, double perOutputTokenMs) {}

    /** Sends one request (at {@code t0}); null on any failure. */
    private static Sample send(HttpClient http, HttpRequest request, boolean stream, long t0) {
        try {
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (var reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                if (response.statusCode() != 200) return null;
                if (!stream) {
                    long n = OpenAiJson.MAPPER.readTree(reader).path("usage").path("completion_tokens").asLong();
                    return new Sample(n, Double.NaN, Double.NaN);
                }
                long completionTokens = -1, first = 0, last = 0;
                for (String line; (line = reader.readLine()) != null; ) {
                    if (!line.startsWith("data: {")) continue;
                    JsonNode chunk = OpenAiJson.MAPPER.readTree(line.substring(6));
                    JsonNode usage = chunk.path("usage");
                    if (usage.isObject()) completionTokens = usage.path("completion_tokens").asLong();
                    if (!text(chunk).isEmpty()) {
                        last = System.nanoTime();
                        if (first == 0) first = last;
                    }
                }
                if (completionTokens < 0) return null;
                double firstMs = first == 0 ? Double.NaN : (first - t0) / 1e6;
                double perTokenMs = completionTokens < 2 || first == last ? Double.NaN : (last - first) / 1e6 / (completionTokens - 1);
                return new Sample(completionTokens, firstMs, perTokenMs);
            }
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The text a streamed chunk carries, of a completion or a chat. */
    private static String text(JsonNode chunk) {
        JsonNode choice = chunk.path("choices").path(0);
        return choice.has("text") ? choice.path("text").asText() : choice.path("delta").path("content").asText("");
    }

    /** Request {@code i}: its prompt and variant in turn. */
    private static HttpRequest request(Config c, int i) {
        ObjectNode body = OpenAiJson.MAPPER.createObjectNode();
        if (!c.variants().isEmpty()) body.setAll(c.variants().get(i % c.variants().size()));
        String prompt = c.prompts().get(i % c.prompts().size());
        if (c.chat()) {
            body.putArray("messages").addObject().put("role", "user").put("content", prompt);
        } else {
            body.put("prompt", prompt);
        }
        body.put("max_tokens", c.maxTokens());
        body.put("temperature", 0);
        if (c.stream()) {
            body.put("stream", true);
            body.putObject("stream_options").put("include_usage", true);
        }
        String path = c.chat() ? ApiKind.CHAT.path : ApiKind.COMPLETION.path;
        return HttpRequest.newBuilder(c.url().resolve(path)).timeout(requestTimeout(c))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
    }

    private static Duration requestTimeout(Config c) {
        return c.timeLimit().plusSeconds(10);
    }

    static void requireLoopback(URI url) {
        if (url.getHost() == null || !"http".equals(url.getScheme())) throw new BadInputException("load test URL must be http://HOST:PORT, got " + url);
        try {
            for (InetAddress a : InetAddress.getAllByName(url.getHost())) {
                if (!a.isLoopbackAddress()) {
                    throw new BadInputException("the load test only targets this machine (loopback), not " + url.getHost());
                }
            }
        } catch (UnknownHostException e) {
            throw new BadInputException("unknown host " + url.getHost());
        }
    }

    public static void main(String[] args) throws InterruptedException {
        String url = "http://127.0.0.1:8080", prompt = "Once upon a time";
        int requests = 50, concurrency = 4, maxTokens = 32, timeLimit = 60;
        boolean stream = false, chat = false;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--url" -> url = args[++i];
                    case "--requests" -> requests = Integer.parseInt(args[++i]);
                    case "--concurrency" -> concurrency = Integer.parseInt(args[++i]);
                    case "--max-tokens" -> maxTokens = Integer.parseInt(args[++i]);
                    case "--prompt" -> prompt = args[++i];
                    case "--time-limit-s" -> timeLimit = Integer.parseInt(args[++i]);
                    case "--stream" -> stream = true;
                    case "--chat" -> chat = true;
                    default -> throw new BadInputException("unknown option " + args[i]);
                }
            }
            var config = new Config(URI.create(url), requests, concurrency, maxTokens, stream, chat, prompt, Duration.ofSeconds(timeLimit));
            System.out.println(run(config));
        } catch (BadInputException | NumberFormatException | ArrayIndexOutOfBoundsException e) {
            System.err.println("load test: " + e.getMessage());
            System.err.println("usage: LoadTest [--url http://127.0.0.1:PORT] [--requests N] [--concurrency C] [--max-tokens T] "
                    + "[--prompt TEXT] [--time-limit-s S] [--stream] [--chat]");
            System.exit(2);
        }
    }
}

package sortedllama.server;

import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import sortedllama.infer.ContinuousBatcher;
import sortedllama.infer.Generator;

/**
 * Counters for GET /metrics, in Prometheus' text exposition format (version 0.0.4). Updated once
 * per request, never per token, with lock-free adders, so the decode loop never waits on them.
 */
final class ServerMetrics {
    /** Decode speeds (tokens/s) the histogram separates: from a big model on a small CPU to a tiny one. */
    private static final double[] SPEED_BUCKETS = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};

    private record RequestKey(String endpoint, int status) {}

    private final Map<RequestKey, LongAdder> requests = new ConcurrentHashMap<>();
    private final LongAdder generatedTokens = new LongAdder(), promptTokens = new LongAdder();
    private final LongAdder[] speedBuckets = new LongAdder[SPEED_BUCKETS.length];
    private final LongAdder speedCount = new LongAdder();
    private final DoubleAdder speedSum = new DoubleAdder();
    private final DoubleAdder depthSum = new DoubleAdder();
    private final LongAdder depthTokens = new LongAdder();
    private final DoubleAdder acceptanceSum = new DoubleAdder();
    private final LongAdder speculativeGenerations = new LongAdder();
    private final LongAdder timedOut = new LongAdder();
    private final IntSupplier inFlight, queued;
    private final LongSupplier sharedPromptTokens;

    /** @param sharedPromptTokens prompt tokens copied from another generation's cache so far ({@link ContinuousBatcher#sharedPrefixTokens}) */
    ServerMetrics(IntSupplier inFlight, IntSupplier queued, LongSupplier sharedPromptTokens) {
        this.inFlight = inFlight;
        this.queued = queued;
        this.sharedPromptTokens = sharedPromptTokens;
        for (int i = 0; i < speedBuckets.length; i++) speedBuckets[i] = new LongAdder();
    }

    void request(String endpoint, int status) {
        requests.computeIfAbsent(new RequestKey(endpoint, status), k -> new LongAdder()).increment();
    }

    void generation(Completion c) {
        generatedTokens.add(c.completionTokens());
        promptTokens.add(c.promptTokens());
        if (c.timedOut()) timedOut.increment();
        if (c.completionTokens() > 1) {
            double speed = c.decodeTokensPerSecond();
            for (int i = 0; i < SPEED_BUCKETS.length; i++) if (speed <= SPEED_BUCKETS[i]) speedBuckets[i].increment();
            speedSum.add(speed);
            speedCount.increment();
        }
        Generator.Result r = c.result();
        if (r != null && r.depths().length > 0) {
            depthSum.add(r.meanDepth() * r.depths().length);
            depthTokens.add(r.depths().length);
        }
        if (r != null && !Double.isNaN(r.acceptance())) {
            acceptanceSum.add(r.acceptance());
            speculativeGenerations.increment();
        }
    }

    String render() {
        var out = new StringBuilder(4096);
        header(out, "sortedllama_requests_total", "counter", "HTTP requests answered, by endpoint and status (499: the client left before its answer was complete).");
        requests.entrySet().stream()
                .sorted(Comparator.comparing((Map.Entry<RequestKey, LongAdder> e) -> e.getKey().endpoint())
                        .thenComparingInt(e -> e.getKey().status()))
                .forEach(e -> out.append("sortedllama_requests_total{endpoint=\"").append(e.getKey().endpoint())
                        .append("\",status=\"").append(e.getKey().status()).append("\"} ").append(e.getValue().sum()).append('\n'));
        metric(out, "sortedllama_generated_tokens_total", "counter", "Tokens generated.", generatedTokens.sum());
        metric(out, "sortedllama_prompt_tokens_total", "counter", "Prompt tokens of generations that ran.", promptTokens.sum());
        metric(out, "sortedllama_prompt_tokens_shared_total", "counter",
                "Prompt tokens whose keys and values were copied from another generation's cache instead of computed (continuous batching, split-invariant models).",
                sharedPromptTokens.getAsLong());
        metric(out, "sortedllama_generations_timed_out_total", "counter",
                "Generations the request timeout cut short (they end with finish_reason \"length\").", timedOut.sum());

        header(out, "sortedllama_decode_tokens_per_second", "histogram", "Decode speed of each generation of 2 or more tokens.");
        for (int i = 0; i < SPEED_BUCKETS.length; i++) {
            out.append("sortedllama_decode_tokens_per_second_bucket{le=\"").append(number(SPEED_BUCKETS[i])).append("\"} ")
                    .append(speedBuckets[i].sum()).append('\n');
        }
        out.append("sortedllama_decode_tokens_per_second_bucket{le=\"+Inf\"} ").append(speedCount.sum()).append('\n');
        out.append("sortedllama_decode_tokens_per_second_sum ").append(number(speedSum.sum())).append('\n');
        out.append("sortedllama_decode_tokens_per_second_count ").append(speedCount.sum()).append('\n');

        long tokens = depthTokens.sum();
        metric(out, "sortedllama_mean_depth_layers", "gauge",
                "Mean layers run per generated token, over generations that ran to their end (adaptive and exit modes run fewer).",
                tokens == 0 ? Double.NaN : depthSum.sum() / tokens);
        long speculative = speculativeGenerations.sum();
        metric(out, "sortedllama_speculative_acceptance_ratio", "gauge",
                "Mean fraction of drafted tokens the full model accepted, over speculative generations.",
                speculative == 0 ? Double.NaN : acceptanceSum.sum() / speculative);
        metric(out, "sortedllama_requests_in_flight", "gauge", "Generations running now.", inFlight.getAsInt());
        metric(out, "sortedllama_requests_queued", "gauge", "Requests waiting for a generation slot now.", queued.getAsInt());
        return out.toString();
    }

    private static void header(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void metric(StringBuilder out, String name, String type, String help, double value) {
        header(out, name, type, help);
        out.append(name).append(' ').append(number(value)).append('\n');
    }

    /** Integers without ".0"; NaN as Prometheus spells it. */
    private static String number(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return Double.toString(v);
    }
}

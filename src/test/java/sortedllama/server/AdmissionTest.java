package sortedllama.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaModel;
import sortedllama.model.RopeLayout;
import sortedllama.model.TestModels;

/**
 * Slots, the wait queue, timeouts and clients that leave, with a model big enough that a long
 * generation takes seconds (a few milliseconds per token), so the test can act while it runs.
 */
class AdmissionTest {
    static final LlamaConfig SLOW = new LlamaConfig(256, 768, 8, 8, 4, 32, ByteTokenizer.VOCAB, 4096, 1e-5f, 10000f, null,
            RopeLayout.INTERLEAVED, 1, 2);
    static final LlamaModel MODEL = TestModels.random(SLOW, 3, 1f);
    /** A request that would run for many seconds: it must be cut short by the test. */
    static final int LONG_MAX_TOKENS = 4000;
    static final String LONG = "{\"prompt\":\"Tell me everything.\",\"max_tokens\":" + LONG_MAX_TOKENS
            + ",\"temperature\":0,\"stream\":true}";
    static final String SHORT = "{\"prompt\":\"Hi\",\"max_tokens\":4,\"temperature\":0}";

    static InferenceServer start(ServerOptions options) {
        return new InferenceServer(MODEL, new ByteTokenizer(), "slow-test", ExitSet.all(SLOW.nLayers()), options.withLogRequests(false)).start(0);
    }

    @Test
    void aFullQueueGets429AndALeavingClientFreesItsSlot() throws Exception {
        try (var server = start(ServerOptions.defaults().withLimits(1, 1))) {
            var client = new TestClient(server.port());
            HttpResponse<InputStream> running = client.open("/v1/completions", LONG);
            assertEquals(200, running.statusCode());
            var events = new TestClient.Events(running.body());
            assertNotNull(events.next(), "the long generation has started streaming");

            CompletableFuture<HttpResponse<String>> queued = CompletableFuture.supplyAsync(() -> post(client, SHORT));
            awaitGauge(client, "sortedllama_requests_queued", 1);

            var refused = client.post("/v1/completions", SHORT);
            assertEquals(429, refused.statusCode(), refused.body());
            assertTrue(refused.headers().firstValue("Retry-After").isPresent(), "429 says when to retry");
            JsonNode error = TestClient.JSON.readTree(refused.body()).path("error");
            assertTrue(error.path("message").asText().contains("busy"), refused.body());
            assertEquals("rate_limit_exceeded", error.path("code").asText(), refused.body());

            events.close(); // the client leaves mid-stream: the server must notice and free the slot
            HttpResponse<String> served = queued.get(30, TimeUnit.SECONDS);
            assertEquals(200, served.statusCode(), served.body());
            awaitGauge(client, "sortedllama_requests_in_flight", 0);
            String metrics = client.get("/metrics").body();
            assertTrue(metrics.contains("sortedllama_requests_total{endpoint=\"/v1/completions\",status=\"499\"} 1"), metrics);
            assertTrue(metrics.contains("sortedllama_requests_total{endpoint=\"/v1/completions\",status=\"429\"} 1"), metrics);
            assertEquals(0, InferenceServerTest.metric(metrics, "sortedllama_requests_queued"));
        }
    }

    /**
     * A client waiting for a whole (non-streamed) answer closes its connection while its long
     * generation runs: the server notices, though it writes nothing until the end, stops the
     * generation (it leaves the batch, the slot frees) and counts a 499, not a 200.
     */
    @Test
    void aNonStreamingClientThatLeavesStopsItsGeneration() throws Exception {
        try (var server = start(ServerOptions.defaults().withLimits(2, 2))) {
            var client = new TestClient(server.port());
            byte[] body = LONG.replace("\"stream\":true", "\"stream\":false").getBytes(StandardCharsets.UTF_8);
            try (var socket = new Socket("127.0.0.1", server.port())) {
                OutputStream out = socket.getOutputStream();
                out.write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                awaitGauge(client, "sortedllama_requests_in_flight", 1);
            } // the client leaves without its answer
            awaitGauge(client, "sortedllama_requests_in_flight", 0);
            String metrics = client.get("/metrics").body();
            assertTrue(metrics.contains("sortedllama_requests_total{endpoint=\"/v1/completions\",status=\"499\"} 1"), metrics);
            assertFalse(metrics.contains("sortedllama_requests_total{endpoint=\"/v1/completions\",status=\"200\"}"), metrics);
            // the model is free for the next request
            assertEquals(200, client.post("/v1/completions", SHORT).statusCode());
        }
    }

    /**
     * A generation past the request timeout ends with "length" well before its max_tokens (which fits
     * the context, so only the timeout can end it early), and the server counts it as timed out.
     */
    @Test
    void theRequestTimeoutEndsAGenerationWithLength() throws Exception {
        assertTrue(SLOW.contextLength() > LONG_MAX_TOKENS + 20, "max_tokens must fit the context, else the server caps it");
        try (var server = start(ServerOptions.defaults().withLimits(1, 0).withRequestTimeout(Duration.ofMillis(500)))) {
            var client = new TestClient(server.port());
            JsonNode whole = client.postJson("/v1/completions", LONG.replace("\"stream\":true", "\"stream\":false"));
            assertEquals("length", whole.path("choices").get(0).path("finish_reason").asText());
            int tokens = whole.path("usage").path("completion_tokens").asInt();
            assertTrue(tokens > 0 && tokens < LONG_MAX_TOKENS, "stopped early after " + tokens + " tokens");
            assertEquals(1, InferenceServerTest.metric(client.get("/metrics").body(), "sortedllama_generations_timed_out_total"));

            var events = client.stream("/v1/completions", LONG);
            assertEquals("length", TestClient.finishReason(events));
            awaitGauge(client, "sortedllama_requests_in_flight", 0);
            assertEquals(2, InferenceServerTest.metric(client.get("/metrics").body(), "sortedllama_generations_timed_out_total"));
        }
    }

    private static HttpResponse<String> post(TestClient client, String body) {
        try {
            return client.post("/v1/completions", body);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    /** Polls /metrics (at most 10 s) until the gauge reads {@code value}. */
    static void awaitGauge(TestClient client, String gauge, double value) throws Exception {
        double seen = Double.NaN;
        for (int i = 0; i < 200; i++) {
            seen = InferenceServerTest.metric(client.get("/metrics").body(), gauge);
            if (seen == value) return;
            Thread.sleep(50);
        }
        throw new AssertionError(gauge + " stayed at " + seen + ", expected " + value);
    }
}

package sortedllama.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import sortedllama.BadInputException;
import sortedllama.model.ExitSet;

class LoadTestTest {

    @Test
    void reportsSaneNumbersForTwentyRequests() throws Exception {
        var options = ServerOptions.defaults().withLogRequests(false).withLimits(2, 8);
        try (var server = new InferenceServer(InferenceServerTest.MODEL, new ByteTokenizer(), "tiny-test",
                ExitSet.all(InferenceServerTest.LAYERS), options).start(0)) {
            for (boolean stream : new boolean[] {false, true}) {
                var config = new LoadTest.Config(URI.create("http://127.0.0.1:" + server.port()), 20, 4, 8, stream, stream,
                        "Hello", Duration.ofSeconds(20));
                var report = LoadTest.run(config);
                assertEquals(20, report.sent(), report.toString());
                assertEquals(20, report.succeeded(), report.toString());
                assertEquals(0, report.failed());
                assertTrue(report.requestsPerSecond() > 0, report.toString());
                assertTrue(report.tokens() > 0 && report.tokens() <= 20 * 8, report.toString());
                double p50 = report.latencyMs(0.5), p90 = report.latencyMs(0.9), p99 = report.latencyMs(0.99);
                assertTrue(0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= report.seconds() * 1000, report.toString());
                assertTrue(report.toString().contains("requests/s"));
            }
        }
    }

    /** Request i takes prompt i mod n and variant i mod m, so n prompts spread over the requests in turn. */
    @Test
    void requestsTakeThePromptsAndVariantsInTurn() throws Exception {
        Map<String, Integer> seen = new TreeMap<>();
        HttpServer stub = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        stub.createContext("/v1/completions", exchange -> {
            JsonNode body = OpenAiJson.MAPPER.readTree(exchange.getRequestBody());
            synchronized (seen) {
                seen.merge(body.path("prompt").asText() + " " + body.path("exit_layer").asInt(), 1, Integer::sum);
            }
            byte[] answer = "{\"usage\":{\"completion_tokens\":1}}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        stub.start();
        try {
            var variants = List.of(OpenAiJson.MAPPER.createObjectNode().put("exit_layer", 1), OpenAiJson.MAPPER.createObjectNode().put("exit_layer", 2));
            var config = new LoadTest.Config(URI.create("http://127.0.0.1:" + stub.getAddress().getPort()), 8, 3, 4, false, false,
                    List.of("a", "b", "c"), Duration.ofSeconds(20), variants);
            var report = LoadTest.run(config);
            assertEquals(8, report.succeeded(), report.toString());
            // i = 0..7: (a,1) (b,2) (c,1) (a,2) (b,1) (c,2) (a,1) (b,2)
            assertEquals(Map.of("a 1", 2, "a 2", 1, "b 1", 1, "b 2", 2, "c 1", 1, "c 2", 1), seen);
        } finally {
            stub.stop(0);
        }
        assertThrows(BadInputException.class, () -> new LoadTest.Config(URI.create("http://127.0.0.1:8080"), 1, 1, 1, false, false,
                List.of(), Duration.ofSeconds(1), List.of()));
    }

    @Test
    void refusesAnythingButLoopback() {
        assertThrows(BadInputException.class, () -> new LoadTest.Config(URI.create("http://192.0.2.1:8080"), 1, 1, 1,
                false, false, "x", Duration.ofSeconds(1)));
        assertThrows(BadInputException.class, () -> new LoadTest.Config(URI.create("http://127.0.0.1:8080"), 0, 1, 1,
                false, false, "x", Duration.ofSeconds(1)));
    }
}

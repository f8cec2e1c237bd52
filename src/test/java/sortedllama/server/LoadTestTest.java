package sortedllama.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
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

    @Test
    void refusesAnythingButLoopback() {
        assertThrows(BadInputException.class, () -> new LoadTest.Config(URI.create("http://192.0.2.1:8080"), 1, 1, 1,
                false, false, "x", Duration.ofSeconds(1)));
        assertThrows(BadInputException.class, () -> new LoadTest.Config(URI.create("http://127.0.0.1:8080"), 0, 1, 1,
                false, false, "x", Duration.ofSeconds(1)));
    }
}

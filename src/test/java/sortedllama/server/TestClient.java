package sortedllama.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Real HTTP to a test server on 127.0.0.1, with every wait bounded. */
final class TestClient {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    final String base;

    TestClient(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return http.send(request(path, body), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode postJson(String path, String body) throws IOException, InterruptedException {
        HttpResponse<String> r = post(path, body);
        if (r.statusCode() != 200) throw new AssertionError("HTTP " + r.statusCode() + ": " + r.body());
        return JSON.readTree(r.body());
    }

    /** Posts and returns the open event stream, for tests that read part of it. */
    HttpResponse<InputStream> open(String path, String body) throws IOException, InterruptedException {
        return http.send(request(path, body), HttpResponse.BodyHandlers.ofInputStream());
    }

    /** The data events of a whole stream, up to [DONE] (which must come). */
    List<JsonNode> stream(String path, String body) throws IOException, InterruptedException {
        HttpResponse<InputStream> r = open(path, body);
        if (r.statusCode() != 200) throw new AssertionError("HTTP " + r.statusCode() + ": " + new String(r.body().readAllBytes()));
        if (!r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream")) {
            throw new AssertionError("not an event stream: " + r.headers());
        }
        try (var events = new Events(r.body())) {
            List<JsonNode> all = new ArrayList<>();
            for (JsonNode e; (e = events.next()) != null; ) all.add(e);
            if (!events.sawDone) throw new AssertionError("stream ended without [DONE]");
            return all;
        }
    }

    /** The text a stream carried: chat deltas' content or completion chunks' text, in order. */
    static String streamedText(List<JsonNode> events) {
        StringBuilder text = new StringBuilder();
        for (JsonNode e : events) {
            for (JsonNode choice : e.path("choices")) {
                JsonNode piece = choice.has("delta") ? choice.path("delta").path("content") : choice.path("text");
                text.append(piece.asText(""));
            }
        }
        return text.toString();
    }

    static String finishReason(List<JsonNode> events) {
        String reason = null;
        for (JsonNode e : events) {
            for (JsonNode choice : e.path("choices")) if (choice.path("finish_reason").isTextual()) reason = choice.path("finish_reason").asText();
        }
        return reason;
    }

    private HttpRequest request(String path, String body) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** Reads "data: ..." events one at a time. */
    static final class Events implements AutoCloseable {
        private final BufferedReader reader;
        boolean sawDone;

        Events(InputStream in) {
            this.reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        }

        /** The next JSON event, or null at [DONE] or the end of the stream. */
        JsonNode next() throws IOException {
            for (String line; (line = reader.readLine()) != null; ) {
                if (!line.startsWith("data: ")) continue;
                String data = line.substring("data: ".length());
                if (data.equals("[DONE]")) {
                    sawDone = true;
                    return null;
                }
                return JSON.readTree(data);
            }
            return null;
        }

        @Override
        public void close() throws IOException {
            reader.close();
        }
    }
}

package sortedllama.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import sortedllama.BadInputException;

/** The remote judge against a small OpenAI-style server on loopback: what it sends, what it reads, how it fails. */
class RemoteJudgeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private HttpServer server;
    private final List<JsonNode> requests = Collections.synchronizedList(new ArrayList<>());
    private final List<String> authorizations = Collections.synchronizedList(new ArrayList<>());

    /** Serves POST /v1/chat/completions with {@code reply} (status and body) computed from the request. */
    private String serve(Function<JsonNode, Object[]> reply) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/chat/completions", exchange -> {
            JsonNode request = JSON.readTree(exchange.getRequestBody().readAllBytes());
            requests.add(request);
            authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
            Object[] r = reply.apply(request);
            byte[] body = ((String) r[1]).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders((Integer) r[0], body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    @AfterEach
    void stop() {
        if (server != null) server.stop(0);
    }

    private static String completion(String content) {
        var root = JSON.createObjectNode();
        root.putArray("choices").addObject().putObject("message").put("role", "assistant").put("content", content);
        return root.toString();
    }

    private static List<PairwiseJudge.Match> matches() {
        return List.of(
                new PairwiseJudge.Match(new Answer("1", "Name a fruit.", "", 8, "an apple, which is good"), new Answer("1", "Name a fruit.", "", 8, "a car")),
                new PairwiseJudge.Match(new Answer("2", "Add.", "2 + 2", 8, "4, good"), new Answer("2", "Add.", "2 + 2", 8, "5")),
                new PairwiseJudge.Match(new Answer("3", "Say hi.", "", 8, "hi"), new Answer("3", "Say hi.", "", 8, "hello, good")));
    }

    @Test
    void sendsOneGreedyUserMessageAndReadsTheVerdict() throws Exception {
        String url = serve(request -> new Object[] {200, completion("1\nResponse 1 is more helpful.")});
        var judge = new RemoteJudge(url, "judge-7b", "secret", 16, Duration.ofSeconds(10), JudgeFormat.PLAIN);
        var c = PairwiseJudge.compare(judge, matches(), () -> {});

        assertEquals(6, requests.size(), "3 prompts x 2 orders");
        JsonNode first = requests.getFirst();
        assertEquals("judge-7b", first.get("model").asText());
        assertEquals(0, first.get("temperature").asDouble());
        assertEquals(16, first.get("max_tokens").asInt());
        assertEquals(1, first.get("messages").size());
        assertEquals("user", first.get("messages").get(0).get("role").asText());
        String prompt = first.get("messages").get(0).get("content").asText();
        assertTrue(prompt.contains("### Instruction:\nName a fruit.") && !prompt.contains("### Input:"), prompt);
        assertTrue(prompt.indexOf("an apple") < prompt.indexOf("a car"), "A first in the first order");
        String second = requests.get(1).get("messages").get(0).get("content").asText();
        assertTrue(second.indexOf("a car") < second.indexOf("an apple"), "B first in the second order");
        assertTrue(requests.get(2).get("messages").get(0).get("content").asText().contains("### Input:\n2 + 2"));
        assertEquals("Bearer secret", authorizations.getFirst());

        assertEquals(0.0, c.score().score(), "a judge that always says 1 scores 0");
        assertEquals(0.0, c.score().consistency());
        assertEquals("1\nResponse 1 is more helpful.", c.judgements().getFirst().raw());
    }

    @Test
    void aJudgeWithoutPositionBiasScoresByContent() throws Exception {
        // prefers whichever response says "good": A on prompts 1 and 2, B on prompt 3
        String url = serve(request -> {
            String p = request.get("messages").get(0).get("content").asText();
            String r1 = p.substring(p.indexOf("### Response 1:"), p.indexOf("### Response 2:"));
            return new Object[] {200, completion(r1.contains("good") ? "1" : "2")};
        });
        var c = PairwiseJudge.compare(new RemoteJudge(url + "/", "j", null, 8, Duration.ofSeconds(10), JudgeFormat.PLAIN), matches(), () -> {});
        assertEquals(1.0 / 3, c.score().score(), 1e-12, "(2 wins - 1 loss) / 3 in both orders");
        assertEquals(1.0, c.score().consistency());
        assertEquals(null, authorizations.getFirst(), "no key, no header");
    }

    @Test
    void failuresAreOneLineErrorsNamingTheEndpoint() throws Exception {
        String url = serve(request -> switch (request.get("model").asText()) {
            case "missing" -> new Object[] {404, "{\"error\": {\"message\": \"model 'missing' not found\", \"type\": \"invalid_request_error\"}}"};
            case "broken" -> new Object[] {200, "{\"choices\": [ {"};
            case "empty" -> new Object[] {200, "{\"choices\": []}"};
            case "slow" -> {
                try {
                    Thread.sleep(2500);
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
                yield new Object[] {200, completion("1")};
            }
            default -> new Object[] {500, "<html>oops</html>"};
        });
        var e = assertThrows(BadInputException.class, () -> new RemoteJudge(url, "missing", null, 8, Duration.ofSeconds(10), JudgeFormat.PLAIN).judge("p"));
        assertTrue(e.getMessage().contains("HTTP 404: model 'missing' not found") && e.getMessage().contains(url), e.getMessage());
        e = assertThrows(BadInputException.class, () -> new RemoteJudge(url, "broken", null, 8, Duration.ofSeconds(10), JudgeFormat.PLAIN).judge("p"));
        assertTrue(e.getMessage().contains("malformed JSON"), e.getMessage());
        e = assertThrows(BadInputException.class, () -> new RemoteJudge(url, "empty", null, 8, Duration.ofSeconds(10), JudgeFormat.PLAIN).judge("p"));
        assertTrue(e.getMessage().contains("no choices[0].message.content"), e.getMessage());
        e = assertThrows(BadInputException.class, () -> new RemoteJudge(url, "other", null, 8, Duration.ofSeconds(10), JudgeFormat.PLAIN).judge("p"));
        assertTrue(e.getMessage().contains("HTTP 500: <html>oops</html>"), e.getMessage());
        e = assertThrows(BadInputException.class, () -> new RemoteJudge(url, "slow", null, 8, Duration.ofSeconds(1), JudgeFormat.PLAIN).judge("p"));
        assertTrue(e.getMessage().contains("no answer within 1 s"), e.getMessage());

        server.stop(0);
        server = null;
        e = assertThrows(BadInputException.class, () -> new RemoteJudge(url, "m", null, 8, Duration.ofSeconds(5), JudgeFormat.PLAIN).judge("p"));
        assertTrue(e.getMessage().contains("connection refused"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line");
        e = assertThrows(BadInputException.class, () -> new RemoteJudge("ftp://x/v1", "m", null, 8, Duration.ofSeconds(5), JudgeFormat.PLAIN));
        assertTrue(e.getMessage().contains("--judge-url"), e.getMessage());
    }
}

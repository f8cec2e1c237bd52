package sortedllama.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import sortedllama.BadInputException;

/**
 * A judge behind any OpenAI-compatible endpoint (this project's own server, vLLM, llama.cpp's
 * server, OpenAI): the prompt goes as one user message to POST {base}/chat/completions at
 * temperature 0, and {@link Verdict#parse} reads the reply. Anything that keeps a verdict from
 * coming back (no connection, a timeout, an HTTP error, a reply that is not a chat completion) is a
 * {@link BadInputException} naming the endpoint: an evaluation with a broken judge should stop, not
 * count its prompts as ties.
 */
public final class RemoteJudge implements Judge {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient client;
    private final URI endpoint;
    private final String model;
    private final String apiKey;
    private final int maxTokens;
    private final Duration timeout;
    private final JudgeFormat format;

    /**
     * @param baseUrl   e.g. http://127.0.0.1:8080/v1
     * @param apiKey    sent as a bearer token; null sends none
     * @param maxTokens the longest reply (the verdict and a sentence)
     * @param format    the prompts the judge reads (PANDALM for PandaLM-7B)
     */
    public RemoteJudge(String baseUrl, String model, String apiKey, int maxTokens, Duration timeout, JudgeFormat format) {
        URI base;
        try {
            base = URI.create(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--judge-url " + baseUrl + " is not a URL: " + e.getMessage());
        }
        if (!"http".equals(base.getScheme()) && !"https".equals(base.getScheme())) {
            throw new BadInputException("--judge-url " + baseUrl + " must start with http:// or https://");
        }
        this.endpoint = base.resolve("chat/completions");
        this.model = model;
        this.apiKey = apiKey;
        this.maxTokens = maxTokens;
        this.timeout = timeout;
        this.format = format;
        this.client = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    @Override
    public String describe() {
        return model + " at " + endpoint;
    }

    @Override
    public JudgeFormat format() {
        return format;
    }

    @Override
    public Judgement judge(String prompt) {
        String text = complete(prompt);
        return new Judgement(Verdict.parse(text), text);
    }

    /** The request body: one user message, greedy, short. */
    String requestBody(String prompt) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", model);
        body.putArray("messages").addObject().put("role", "user").put("content", prompt);
        body.put("temperature", 0);
        body.put("max_tokens", maxTokens);
        return body.toString();
    }

    private String complete(String prompt) {
        var request = HttpRequest.newBuilder(endpoint).timeout(timeout).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(requestBody(prompt), StandardCharsets.UTF_8));
        if (apiKey != null) request.header("Authorization", "Bearer " + apiKey);
        HttpResponse<String> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (HttpConnectTimeoutException e) {
            throw new BadInputException("judge " + endpoint + ": no connection within " + timeout.toSeconds() + " s", e);
        } catch (HttpTimeoutException e) {
            throw new BadInputException("judge " + endpoint + ": no answer within " + timeout.toSeconds() + " s", e);
        } catch (ConnectException e) {
            throw new BadInputException("judge " + endpoint + ": connection refused (is the server running?)", e);
        } catch (IOException e) {
            throw new BadInputException("judge " + endpoint + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BadInputException("judge " + endpoint + ": interrupted", e);
        }
        if (response.statusCode() != 200) {
            throw new BadInputException("judge " + endpoint + ": HTTP " + response.statusCode() + ": " + errorMessage(response.body()));
        }
        return content(response.body());
    }

    /** choices[0].message.content of a chat completion. */
    private String content(String body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new BadInputException("judge " + endpoint + ": malformed JSON in the reply: " + e.getOriginalMessage(), e);
        }
        JsonNode content = root == null ? null : root.path("choices").path(0).path("message").get("content");
        if (content == null || !content.isTextual()) {
            throw new BadInputException("judge " + endpoint + ": the reply has no choices[0].message.content: " + oneLine(body));
        }
        return content.textValue();
    }

    /** The server's own words: error.message of an OpenAI-style error, else the body itself. */
    private static String errorMessage(String body) {
        try {
            JsonNode root = JSON.readTree(body);
            if (root != null && root.path("error").path("message").isTextual()) return oneLine(root.path("error").path("message").textValue());
        } catch (JsonProcessingException e) {
            // not JSON: the body is the message
        }
        return oneLine(body);
    }

    private static String oneLine(String s) {
        String line = s == null ? "" : s.strip().replaceAll("\\s+", " ");
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }
}

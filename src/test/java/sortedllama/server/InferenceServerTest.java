package sortedllama.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sortedllama.infer.AdaptiveGenerator;
import sortedllama.infer.ExitPolicy;
import sortedllama.infer.Generator;
import sortedllama.infer.Sampler;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaModel;
import sortedllama.model.TestModels;

/** The OpenAI endpoints over real HTTP, checked against calling the generators directly. */
class InferenceServerTest {
    static final int LAYERS = 4, CONTEXT = 256, MAX = 40;
    static final LlamaModel MODEL = TestModels.random(TestModels.tinyConfig(LAYERS, ByteTokenizer.VOCAB, CONTEXT), 7, 6f);
    static final ByteTokenizer TOKENIZER = new ByteTokenizer();
    static InferenceServer server;
    static TestClient client;

    @BeforeAll
    static void start() {
        var options = ServerOptions.defaults().withLogRequests(false).withLimits(4, 8);
        server = new InferenceServer(MODEL, TOKENIZER, "tiny-test", ExitSet.parse("2,4", LAYERS), options).start(0);
        client = new TestClient(server.port());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static String greedy(int[] prompt, int exitLayer) {
        return greedy(prompt, exitLayer, MAX);
    }

    static String greedy(int[] prompt, int exitLayer, int maxTokens) {
        var result = new Generator(MODEL).generate(prompt, maxTokens, exitLayer, Sampler.greedy(), TOKENIZER.eosId(), null);
        return Direct.text(TOKENIZER, prompt, result);
    }

    static String completion(String extraFields) {
        return "{\"model\":\"tiny-test\",\"prompt\":\"Once upon a time\",\"max_tokens\":" + MAX + ",\"temperature\":0" + extraFields + "}";
    }

    @Test
    void completionsMatchTheGeneratorWholeAndStreamed() throws Exception {
        int[] prompt = Direct.withBos(TOKENIZER, "Once upon a time");
        for (int exit : new int[] {LAYERS, 2}) {
            String expected = greedy(prompt, exit);
            String fields = exit == LAYERS ? "" : ",\"exit_layer\":" + exit;

            JsonNode whole = client.postJson("/v1/completions", completion(fields));
            assertEquals("text_completion", whole.path("object").asText());
            assertTrue(whole.path("id").asText().startsWith("cmpl-"));
            assertEquals("tiny-test", whole.path("model").asText());
            JsonNode choice = whole.path("choices").get(0);
            assertEquals(expected, choice.path("text").asText(), "exit " + exit);
            assertEquals(prompt.length, whole.path("usage").path("prompt_tokens").asInt());
            int generated = whole.path("usage").path("completion_tokens").asInt();
            assertEquals(prompt.length + generated, whole.path("usage").path("total_tokens").asInt());
            assertEquals(generated == MAX ? "length" : "stop", choice.path("finish_reason").asText());

            List<JsonNode> events = client.stream("/v1/completions", completion(fields + ",\"stream\":true"));
            assertEquals(expected, TestClient.streamedText(events), "streamed, exit " + exit);
            assertEquals(choice.path("finish_reason").asText(), TestClient.finishReason(events));
            assertTrue(events.size() > 2, "text arrives in several chunks");
            for (JsonNode e : events) assertEquals("text_completion", e.path("object").asText());
        }
        assertNotEquals(greedy(prompt, 2), greedy(prompt, LAYERS), "exits differ, so the exit check means something");
    }

    @Test
    void promptAsTokenIdsIsUsedAsGiven() throws Exception {
        int[] prompt = {1, 70, 80, 90};
        JsonNode whole = client.postJson("/v1/completions", "{\"prompt\":[1,70,80,90],\"max_tokens\":40,\"temperature\":0}");
        assertEquals(greedy(prompt, LAYERS), whole.path("choices").get(0).path("text").asText());
        assertEquals(4, whole.path("usage").path("prompt_tokens").asInt());
    }

    @Test
    void samplingFollowsTheSeedAndTheSamplingFields() throws Exception {
        int[] prompt = Direct.withBos(TOKENIZER, "Once upon a time");
        var direct = new Generator(MODEL).generate(prompt, MAX, LAYERS, new Sampler(0.8f, 20, 0.9f, 42), TOKENIZER.eosId(), null);
        String fields = ",\"temperature\":0.8,\"top_k\":20,\"top_p\":0.9,\"seed\":42";
        String body = completion("").replace(",\"temperature\":0", fields);
        assertEquals(Direct.text(TOKENIZER, prompt, direct), client.postJson("/v1/completions", body).path("choices").get(0).path("text").asText());
        assertNotEquals(greedy(prompt, LAYERS), Direct.text(TOKENIZER, prompt, direct), "sampling is not greedy");
    }

    @Test
    void chatUsesTheLlama2TemplateWholeAndStreamed() throws Exception {
        int[] prompt = Direct.withBos(TOKENIZER, "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nTell me a story. [/INST]");
        String expected = greedy(prompt, LAYERS);
        String body = "{\"model\":\"tiny-test\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":\"Tell me a story.\"}],\"max_tokens\":40,\"temperature\":0";

        JsonNode whole = client.postJson("/v1/chat/completions", body + "}");
        assertEquals("chat.completion", whole.path("object").asText());
        assertTrue(whole.path("id").asText().startsWith("chatcmpl-"));
        JsonNode message = whole.path("choices").get(0).path("message");
        assertEquals("assistant", message.path("role").asText());
        assertEquals(expected, message.path("content").asText());
        assertEquals(prompt.length, whole.path("usage").path("prompt_tokens").asInt());

        List<JsonNode> events = client.stream("/v1/chat/completions", body + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        assertEquals("assistant", events.getFirst().path("choices").get(0).path("delta").path("role").asText());
        assertEquals(expected, TestClient.streamedText(events));
        assertEquals(whole.path("choices").get(0).path("finish_reason").asText(), TestClient.finishReason(events));
        for (JsonNode e : events) assertEquals("chat.completion.chunk", e.path("object").asText());
        assertEquals(whole.path("usage"), events.getLast().path("usage"), "the usage chunk comes last");
    }

    @Test
    void speculativeGreedyIsFullGreedyAndBudgetPicksAnExit() throws Exception {
        int[] prompt = Direct.withBos(TOKENIZER, "Once upon a time");
        String full = greedy(prompt, LAYERS);
        for (String fields : new String[] {",\"mode\":\"speculative\"", ",\"mode\":\"speculative\",\"draft_exit\":1,\"draft_tokens\":3"}) {
            assertEquals(full, client.postJson("/v1/completions", completion(fields)).path("choices").get(0).path("text").asText(), fields);
        }
        // Exits {2, 4}: a budget of 0.75 allows 3 of 4 layers, so the deepest exit that fits is 2.
        assertEquals(greedy(prompt, 2),
                client.postJson("/v1/completions", completion(",\"budget\":0.75")).path("choices").get(0).path("text").asText());
    }

    @Test
    void adaptiveModeMatchesTheAdaptiveGenerator() throws Exception {
        int[] prompt = Direct.withBos(TOKENIZER, "Once upon a time");
        var thresholds = new TreeMap<Integer, Float>();
        thresholds.put(1, 0.5f);
        thresholds.put(2, 0.3f);
        var direct = new AdaptiveGenerator(MODEL, new ExitPolicy(thresholds), AdaptiveGenerator.KvFill.RECOMPUTE)
                .generate(prompt, MAX, Sampler.greedy(), TOKENIZER.eosId(), null);
        String text = client.postJson("/v1/completions", completion(",\"mode\":\"adaptive\",\"confidence\":\"1:0.5,2:0.3\""))
                .path("choices").get(0).path("text").asText();
        assertEquals(Direct.text(TOKENIZER, prompt, direct), text);
        assertTrue(direct.meanDepth() < LAYERS, "some tokens left early, so adaptive is not just full depth");
    }

    @Test
    void stopStringsCutTheTextBeforeThem() throws Exception {
        int[] prompt = Direct.withBos(TOKENIZER, "Once upon a time");
        String full = greedy(prompt, LAYERS);
        int cut = full.length() / 2;
        String stop = full.substring(cut, cut + 2);
        String expected = full.substring(0, full.indexOf(stop));
        String fields = ",\"stop\":[\"" + escape(stop) + "\"]";
        JsonNode whole = client.postJson("/v1/completions", completion(fields));
        assertEquals(expected, whole.path("choices").get(0).path("text").asText());
        assertEquals("stop", whole.path("choices").get(0).path("finish_reason").asText());
        List<JsonNode> events = client.stream("/v1/completions", completion(fields + ",\"stream\":true"));
        assertEquals(expected, TestClient.streamedText(events));
        assertEquals("stop", TestClient.finishReason(events));
    }

    @Test
    void concurrentStreamsEachGetTheSingleClientText() throws Exception {
        String body = completion(",\"stream\":true,\"max_tokens\":60");
        String single = TestClient.streamedText(client.stream("/v1/completions", body));
        try (var pool = Executors.newFixedThreadPool(4)) {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                Callable<String> task = () -> TestClient.streamedText(client.stream("/v1/completions", body));
                results.add(pool.submit(task));
            }
            for (Future<String> r : results) assertEquals(single, r.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void badRequestsGet400AndTheServerKeepsServing() throws Exception {
        String tooLong = "x".repeat(CONTEXT);
        String[][] cases = {
                {"/v1/completions", "{\"prompt\": \"hi\", ", null},
                {"/v1/completions", "[1, 2]", null},
                {"/v1/completions", "{\"prompt\": \"hi\"} trailing", null},
                {"/v1/completions", "{\"prompt\": 5}", "prompt"},
                {"/v1/completions", "{\"prompt\": [1, 999999]}", "prompt"},
                {"/v1/completions", "{\"prompt\": []}", "prompt"},
                {"/v1/completions", "{}", "prompt"},
                {"/v1/completions", "{\"prompt\": \"hi\", \"max_tokens\": \"ten\"}", "max_tokens"},
                {"/v1/completions", "{\"prompt\": \"hi\", \"max_tokens\": -1}", "max_tokens"},
                {"/v1/completions", "{\"prompt\": \"hi\", \"temperature\": \"hot\"}", "temperature"},
                {"/v1/completions", "{\"prompt\": \"hi\", \"temperature\": -1}", null},
                {"/v1/completions", "{\"prompt\": \"hi\", \"stream\": \"yes\"}", "stream"},
                {"/v1/completions", "{\"prompt\": \"hi\", \"exit_layer\": 0}", "exit_layer"},
                {"/v1/completions", "{\"prompt\": \"hi\", \"exit_layer\": " + (LAYERS + 1) + "}", "exit_layer"},
                {"/v1/completions", "{\"prompt\": \"hi\", \"exit_layer\": 2.5}", "exit_layer"},
                {"/v1/completions", "{\"prompt\": \"hi\", \"mode\": \"turbo\"}", null},
                {"/v1/completions", "{\"prompt\": \"hi\", \"mode\": \"speculative\", \"draft_exit\": " + LAYERS + "}", null},
                {"/v1/completions", "{\"prompt\": \"hi\", \"budget\": 0.1}", null},
                {"/v1/completions", "{\"prompt\": \"hi\", \"mode\": \"adaptive\", \"confidence\": [0.9]}", "confidence"},
                {"/v1/completions", "{\"prompt\": \"hi\", \"stop\": 3}", "stop"},
                {"/v1/completions", "{\"prompt\": \"hi\", \"n\": 17}", "n"},
                {"/v1/completions", "{\"prompt\": \"" + tooLong + "\"}", "prompt", "context_length_exceeded"},
                {"/v1/completions", "{\"prompt\": \"" + "x".repeat(1 << 20) + "\"}", "prompt", "context_length_exceeded"},
                {"/v1/completions", "{\"prompt\": [1, 70], \"max_tokens\": 2000000000}", "max_tokens", "context_length_exceeded"},
                {"/v1/completions", "{\"prompt\": \"hi\", \"max_tokens\": 0}", "max_tokens"},
                {"/v1/completions", "{\"prompt\": \"hi\", \"temperature\": 5}", "temperature"},
                {"/v1/completions", "{\"prompt\": \"hi\", \"top_p\": 1.5}", "top_p"},
                {"/v1/completions", "{\"prompt\": \"hi\", \"stop\": [\"a\", \"b\", \"c\", \"d\", \"e\"]}", "stop"},
                {"/v1/completions", "{\"prompt\": \"hi\", \"mode\": \"full\", \"exit_layer\": 2}", null},
                {"/v1/completions", "{\"prompt\": \"hi\", \"mode\": \"speculative\", \"exit_layer\": 2}", null},
                {"/v1/completions", "{\"prompt\": \"hi\", \"logprobs\": 9}", "logprobs"},
                {"/v1/completions", "{\"prompt\": \"hi\", \"echo\": true}", "echo", "unsupported_parameter"},
                {"/v1/completions", "{\"prompt\": \"hi\", \"suffix\": \"end\"}", "suffix", "unsupported_parameter"},
                {"/v1/completions", "{\"prompt\": \"hi\", \"presence_penalty\": 0.5}", "presence_penalty", "unsupported_parameter"},
                {"/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"top_logprobs\": 2}", "top_logprobs"},
                {"/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"top_logprobs\": 30}", "top_logprobs"},
                {"/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"response_format\": "
                        + "{\"type\": \"json_schema\", \"json_schema\": {\"name\": \"s\", \"schema\": {\"type\": \"string\", \"pattern\": \"a\"}}}}",
                        "response_format"},
                {"/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], "
                        + "\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]}", "tools", "unsupported_parameter"},
                {"/v1/chat/completions", "{\"messages\": \"hi\"}", "messages"},
                {"/v1/chat/completions", "{\"messages\": []}", "messages"},
                {"/v1/chat/completions", "{\"messages\": [{\"content\": \"hi\"}]}", "messages"},
                {"/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": 7}]}", "messages[0].content"},
                {"/v1/chat/completions", "{\"messages\": [{\"role\": \"assistant\", \"content\": \"hi\"}]}", "messages"},
                {"/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"" + tooLong + "\"}]}", "messages",
                        "context_length_exceeded"},
        };
        for (String[] c : cases) {
            var response = client.post(c[0], c[1]);
            String what = c[0] + " " + (c[1].length() > 80 ? c[1].substring(0, 80) : c[1]);
            assertEquals(400, response.statusCode(), what + " -> " + response.body());
            assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("application/json"), what);
            JsonNode error = TestClient.JSON.readTree(response.body()).path("error");
            assertEquals("invalid_request_error", error.path("type").asText(), what);
            assertFalse(error.path("message").asText().isBlank(), what);
            assertTrue(error.has("param") && error.has("code"), what);
            if (c[2] != null) assertEquals(c[2], error.path("param").asText(), what + " -> " + response.body());
            if (c.length > 3) assertEquals(c[3], error.path("code").asText(), what + " -> " + response.body());
            else assertTrue(error.path("code").isNull(), what + " -> " + response.body());
        }
        assertEquals(greedy(Direct.withBos(TOKENIZER, "Once upon a time"), LAYERS),
                client.postJson("/v1/completions", completion("")).path("choices").get(0).path("text").asText());
    }

    @Test
    void unknownFieldsAndTheNeutralValuesOfUnimplementedOnesAreAccepted() throws Exception {
        var response = client.post("/v1/completions", completion(",\"user\":\"me\",\"logit_bias\":{},\"frequency_penalty\":0,"
                + "\"logprobs\":null,\"echo\":false,\"suffix\":\"\",\"n\":1,\"response_format\":{\"type\":\"text\"}"));
        assertEquals(200, response.statusCode(), response.body());
    }

    @Test
    void withoutMaxTokensALongPromptRunsToTheEndOfTheContext() throws Exception {
        int[] prompt = new int[CONTEXT - 3];
        Arrays.fill(prompt, 70);
        String ids = Arrays.toString(prompt);
        JsonNode whole = client.postJson("/v1/completions", "{\"prompt\":" + ids + ",\"temperature\":0}");
        assertEquals(3, whole.path("usage").path("completion_tokens").asInt(), whole.toString());
        assertEquals("length", whole.path("choices").get(0).path("finish_reason").asText());
    }

    @Test
    void modelsHealthAndUnknownPaths() throws Exception {
        JsonNode models = TestClient.JSON.readTree(client.get("/v1/models").body());
        assertEquals("list", models.path("object").asText());
        JsonNode model = models.path("data").get(0);
        assertEquals("tiny-test", model.path("id").asText());
        assertEquals("model", model.path("object").asText());
        assertTrue(model.has("owned_by"));
        assertEquals(LAYERS, model.path("layers").asInt());
        assertEquals("[2,4]", model.path("exits").toString());

        var health = client.get("/health");
        assertEquals(200, health.statusCode());
        assertEquals("ok", TestClient.JSON.readTree(health.body()).path("status").asText());

        assertEquals(model, TestClient.JSON.readTree(client.get("/v1/models/tiny-test").body()));
        var otherModel = client.get("/v1/models/gpt-4");
        assertEquals(404, otherModel.statusCode());
        assertEquals("model_not_found", TestClient.JSON.readTree(otherModel.body()).path("error").path("code").asText());

        var missing = client.get("/v1/nothing");
        assertEquals(404, missing.statusCode());
        assertTrue(TestClient.JSON.readTree(missing.body()).path("error").has("message"));
    }

    /** n choices: choice i is what a request with seed + i gives alone, streamed or whole; usage counts them all. */
    @Test
    void severalChoicesAreEachWhatTheirSeedGivesAlone() throws Exception {
        String fields = ",\"temperature\":0.9,\"exit_layer\":2";
        List<String> alone = new ArrayList<>();
        int tokens = 0;
        for (int seed = 5; seed < 8; seed++) {
            JsonNode one = client.postJson("/v1/completions", completion(fields + ",\"seed\":" + seed));
            alone.add(one.path("choices").get(0).path("text").asText());
            tokens += one.path("usage").path("completion_tokens").asInt();
        }
        JsonNode three = client.postJson("/v1/completions", completion(fields + ",\"seed\":5,\"n\":3"));
        for (int i = 0; i < 3; i++) {
            assertEquals(i, three.path("choices").get(i).path("index").asInt());
            assertEquals(alone.get(i), three.path("choices").get(i).path("text").asText(), "choice " + i);
        }
        assertEquals(tokens, three.path("usage").path("completion_tokens").asInt());
        assertNotEquals(alone.get(0), alone.get(1), "the choices differ");

        List<JsonNode> events = client.stream("/v1/completions", completion(fields + ",\"seed\":5,\"n\":3,\"stream\":true"));
        StringBuilder[] streamed = {new StringBuilder(), new StringBuilder(), new StringBuilder()};
        for (JsonNode e : events) {
            for (JsonNode choice : e.path("choices")) streamed[choice.path("index").asInt()].append(choice.path("text").asText());
        }
        for (int i = 0; i < 3; i++) assertEquals(alone.get(i), streamed[i].toString(), "streamed choice " + i);
    }

    /**
     * Chat logprobs: each token of the text with its log probability (greedy: the most probable, so
     * the first alternative is the token itself), their bytes spelling the content, streamed alike.
     */
    @Test
    void logprobsSpellTheTextAndGreedyTokensAreTheMostProbable() throws Exception {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story.\"}],\"max_tokens\":20,\"temperature\":0,"
                + "\"logprobs\":true,\"top_logprobs\":3";
        JsonNode whole = client.postJson("/v1/chat/completions", body + "}");
        JsonNode choice = whole.path("choices").get(0);
        JsonNode content = choice.path("logprobs").path("content");
        assertTrue(content.size() > 0, whole.toString());
        var bytes = new ByteArrayOutputStream();
        for (JsonNode entry : content) {
            for (JsonNode b : entry.path("bytes")) bytes.write(b.asInt());
            JsonNode top = entry.path("top_logprobs");
            assertEquals(3, top.size());
            assertEquals(entry.path("token"), top.get(0).path("token"));
            assertEquals(entry.path("logprob").asDouble(), top.get(0).path("logprob").asDouble());
            double mass = 0;
            for (int k = 0; k < 3; k++) {
                assertTrue(k == 0 || top.get(k).path("logprob").asDouble() <= top.get(k - 1).path("logprob").asDouble());
                mass += Math.exp(top.get(k).path("logprob").asDouble());
            }
            assertTrue(entry.path("logprob").asDouble() < 0 && mass <= 1 + 1e-5, entry.toString());
        }
        assertEquals(choice.path("message").path("content").asText(), bytes.toString(StandardCharsets.UTF_8));

        List<JsonNode> events = client.stream("/v1/chat/completions", body + ",\"stream\":true}");
        List<JsonNode> streamed = new ArrayList<>();
        for (JsonNode e : events) for (JsonNode entry : e.path("choices").path(0).path("logprobs").path("content")) streamed.add(entry);
        assertEquals(content.size(), streamed.size());
        for (int i = 0; i < streamed.size(); i++) assertEquals(content.get(i), streamed.get(i));

        JsonNode completion = client.postJson("/v1/completions", completion(",\"logprobs\":2"));
        JsonNode lp = completion.path("choices").get(0).path("logprobs");
        assertEquals(lp.path("tokens").size(), lp.path("token_logprobs").size());
        assertEquals(lp.path("tokens").size(), lp.path("text_offset").size());
        assertTrue(lp.path("tokens").size() > 0, lp.toString());

        // speculation's tokens come from full depth's logits, so greedy it reports full depth's logprobs exactly
        JsonNode speculative = client.postJson("/v1/completions", completion(",\"logprobs\":2,\"mode\":\"speculative\""));
        assertEquals(lp, speculative.path("choices").get(0).path("logprobs"));
        JsonNode adaptive = client.postJson("/v1/completions", completion(",\"logprobs\":2,\"mode\":\"adaptive\",\"confidence\":\"0.3\""));
        JsonNode alp = adaptive.path("choices").get(0).path("logprobs");
        assertTrue(alp.path("tokens").size() > 0, alp.toString());
        assertEquals(alp.path("tokens").size(), alp.path("token_logprobs").size());
    }

    @Test
    void browsersGetCorsHeadersOnlyFromTheOriginsGiven() throws Exception {
        assertEquals(Optional.empty(), allowedOrigin(client, "http://ui.example"), "CORS is off by default");
        var options = ServerOptions.defaults().withLogRequests(false).withCorsOrigins(List.of("http://ui.example"));
        try (var cors = new InferenceServer(MODEL, TOKENIZER, "tiny-test", ExitSet.all(LAYERS), options).start(0)) {
            var corsClient = new TestClient(cors.port());
            assertEquals(Optional.of("http://ui.example"), allowedOrigin(corsClient, "http://ui.example"));
            assertEquals(Optional.empty(), allowedOrigin(corsClient, "http://elsewhere.example"));
        }
    }

    private static Optional<String> allowedOrigin(TestClient c, String origin) throws Exception {
        var request = HttpRequest.newBuilder(URI.create(c.base + "/v1/models")).header("Origin", origin).GET().build();
        return c.http.send(request, HttpResponse.BodyHandlers.ofString()).headers().firstValue("Access-Control-Allow-Origin");
    }

    /** One sample line: name{labels} value, as the text exposition format writes it. */
    static final Pattern SAMPLE = Pattern.compile(
            "[a-zA-Z_:][a-zA-Z0-9_:]*(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"[^\"\\\\\\n]*\",?)*})? (NaN|[+-]?Inf|[-+0-9.eE]+)");

    @Test
    void metricsAreValidPrometheusText() throws Exception {
        client.postJson("/v1/completions", completion(",\"mode\":\"speculative\""));
        client.post("/v1/completions", "{");
        var response = client.get("/metrics");
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/plain"));
        List<String> names = new ArrayList<>();
        for (String line : response.body().split("\n")) {
            if (line.startsWith("# TYPE ")) {
                String[] parts = line.split(" ");
                assertTrue(List.of("counter", "gauge", "histogram", "summary").contains(parts[3]), line);
                names.add(parts[2]);
            } else if (!line.startsWith("# HELP ")) {
                assertTrue(SAMPLE.matcher(line).matches(), "not a sample line: " + line);
            }
        }
        assertTrue(names.containsAll(List.of("sortedllama_requests_total", "sortedllama_generated_tokens_total",
                "sortedllama_decode_tokens_per_second", "sortedllama_mean_depth_layers",
                "sortedllama_speculative_acceptance_ratio", "sortedllama_requests_in_flight", "sortedllama_requests_queued",
                "sortedllama_prompt_tokens_shared_total")), names.toString());
        String body = response.body();
        assertTrue(body.contains("sortedllama_requests_total{endpoint=\"/v1/completions\",status=\"200\"} "), body);
        assertTrue(body.contains("sortedllama_requests_total{endpoint=\"/v1/completions\",status=\"400\"} "), body);
        assertTrue(metric(body, "sortedllama_generated_tokens_total") > 0);
        double acceptance = metric(body, "sortedllama_speculative_acceptance_ratio");
        assertTrue(acceptance >= 0 && acceptance <= 1, body);
        double depth = metric(body, "sortedllama_mean_depth_layers");
        assertTrue(depth >= 1 && depth <= LAYERS, body);
    }

    /** The value of an unlabelled sample. */
    static double metric(String body, String name) {
        for (String line : body.split("\n")) if (line.startsWith(name + " ")) return Double.parseDouble(line.substring(name.length() + 1));
        throw new AssertionError("no sample " + name + " in\n" + body);
    }

    private static String escape(String s) {
        return TestClient.JSON.valueToTree(s).toString().replaceAll("^\"|\"$", "");
    }
}

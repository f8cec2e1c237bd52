package sortedllama.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sortedllama.infer.DecodePlan;
import sortedllama.infer.json.JsonGrammars;
import sortedllama.infer.json.ValueGrammar;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaModel;
import sortedllama.model.TestModels;

/** response_format json_object and json_schema over real HTTP, checked against constrained generation called directly. */
class StructuredOutputTest {
    static final int LAYERS = 4, MAX = 400;
    // room for a whole value even when the random model pads every gap with the most whitespace allowed
    static final LlamaModel MODEL = TestModels.random(TestModels.tinyConfig(LAYERS, ByteTokenizer.VOCAB, 1024), 7, 6f);
    static final ByteTokenizer TOKENIZER = new ByteTokenizer();
    static final String SCHEMA = """
            {"type":"object","properties":{"answer":{"type":"string","enum":["yes","no"]},"count":{"type":"integer","enum":[1,2,3]},
             "tags":{"type":"array","items":{"type":"boolean"},"maxItems":2},"maybe":{"type":["boolean","null"]}},
             "required":["answer","count","tags"],"additionalProperties":false}""";
    static final String SCHEMA_FORMAT = "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"reply\",\"strict\":true,\"schema\":" + SCHEMA + "}}";
    static final int[] PROMPT = Direct.withBos(TOKENIZER, "[INST] Reply in JSON. [/INST]");
    static InferenceServer server;
    static TestClient client;

    @BeforeAll
    static void start() {
        var options = ServerOptions.defaults().withLogRequests(false).withLimits(4, 8);
        server = new InferenceServer(MODEL, TOKENIZER, "tiny-test", ExitSet.all(LAYERS), options).start(0);
        client = new TestClient(server.port());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static String chat(String format, String extraFields) {
        return "{\"model\":\"tiny-test\",\"messages\":[{\"role\":\"user\",\"content\":\"Reply in JSON.\"}],\"max_tokens\":" + MAX
                + ",\"temperature\":0,\"response_format\":" + format + extraFields + "}";
    }

    static String direct(ValueGrammar grammar, DecodePlan plan, int maxTokens) {
        return Direct.constrained(MODEL, TOKENIZER, PROMPT, maxTokens, plan, grammar);
    }

    static ValueGrammar schema() throws Exception {
        return JsonGrammars.fromSchema(TestClient.JSON.readTree(SCHEMA), "schema");
    }

    static void checkFitsSchema(String text) throws Exception {
        JsonNode v = TestClient.JSON.readTree(text);
        assertTrue(Set.of("yes", "no").contains(v.path("answer").textValue()), text);
        assertTrue(v.path("count").isInt() && v.path("count").intValue() >= 1 && v.path("count").intValue() <= 3, text);
        assertTrue(v.path("tags").isArray() && v.path("tags").size() <= 2, text);
        for (JsonNode t : v.path("tags")) assertTrue(t.isBoolean(), text);
        if (v.has("maybe")) assertTrue(v.get("maybe").isBoolean() || v.get("maybe").isNull(), text);
        assertTrue(v.size() <= 4, text);
    }

    static JsonNode choice(JsonNode response, int i) {
        return response.path("choices").get(i);
    }

    @Test
    void jsonSchemaIsFollowedInEveryModeWholeAndStreamed() throws Exception {
        var c = MODEL.config();
        // speculation's greedy output is full depth's: its drafts and their verification are masked alike
        List<String[]> modes = List.of(new String[] {"", null}, new String[] {",\"exit_layer\":2", "exit"},
                new String[] {",\"mode\":\"adaptive\",\"confidence\":0.5", "adaptive"},
                new String[] {",\"mode\":\"speculative\",\"draft_exit\":1,\"draft_tokens\":3", null});
        for (String[] mode : modes) {
            DecodePlan plan = mode[1] == null ? DecodePlan.fixedExit(LAYERS, c) : mode[1].equals("exit") ? DecodePlan.fixedExit(2, c)
                    : DecodePlan.of("adaptive", null, null, null, null, true, "0.5", null, ExitSet.all(LAYERS), c);
            String expected = direct(schema(), plan, MAX);
            checkFitsSchema(expected);
            JsonNode whole = client.postJson("/v1/chat/completions", chat(SCHEMA_FORMAT, mode[0]));
            assertEquals(expected, choice(whole, 0).path("message").path("content").asText(), mode[0]);
            assertEquals("stop", choice(whole, 0).path("finish_reason").asText());
            List<JsonNode> events = client.stream("/v1/chat/completions", chat(SCHEMA_FORMAT, mode[0] + ",\"stream\":true"));
            assertEquals(expected, TestClient.streamedText(events), "streamed " + mode[0]);
        }
        String unconstrained = client.postJson("/v1/chat/completions", chat("{\"type\":\"text\"}", ""))
                .path("choices").get(0).path("message").path("content").asText();
        assertFalse(unconstrained.equals(direct(schema(), DecodePlan.fixedExit(LAYERS, c), MAX)), "the format changes the output");
    }

    @Test
    void jsonObjectModeGivesAnObject() throws Exception {
        String expected = direct(JsonGrammars.anyObject(), DecodePlan.fixedExit(LAYERS, MODEL.config()), MAX);
        JsonNode whole = client.postJson("/v1/chat/completions", chat("{\"type\":\"json_object\"}", ""));
        String text = choice(whole, 0).path("message").path("content").asText();
        assertEquals(expected, text);
        assertNotNull(JsonGrammars.anyObject().document().step(text.getBytes(StandardCharsets.UTF_8)), "a prefix of an object: " + text);
        if (choice(whole, 0).path("finish_reason").asText().equals("stop")) assertTrue(TestClient.JSON.readTree(text).isObject(), text);
        assertTrue(text.strip().startsWith("{"), text);
    }

    @Test
    void logprobsComeFromTheMaskedDistributionAndLeaveTheGreedyTextAlone() throws Exception {
        JsonNode plain = client.postJson("/v1/chat/completions", chat(SCHEMA_FORMAT, ""));
        JsonNode withLogprobs = client.postJson("/v1/chat/completions", chat(SCHEMA_FORMAT, ",\"logprobs\":true,\"top_logprobs\":3"));
        assertEquals(choice(plain, 0).path("message"), choice(withLogprobs, 0).path("message"),
                "masking every token and checking only the argmax pick the same tokens");
        JsonNode content = choice(withLogprobs, 0).path("logprobs").path("content");
        assertTrue(content.size() > 0);
        int forced = 0;
        for (JsonNode token : content) {
            assertTrue(token.path("top_logprobs").size() >= 1 && token.path("top_logprobs").size() <= 3, token.toString());
            if (token.path("top_logprobs").size() == 1) forced++; // one byte allowed (inside a literal): the rest masked
        }
        assertTrue(forced > 0, "where the grammar allows one token its probability is 1 and it has no alternatives");
    }

    @Test
    void everyChoiceFollowsTheSchemaWithItsOwnState() throws Exception {
        JsonNode whole = client.postJson("/v1/chat/completions",
                chat(SCHEMA_FORMAT, ",\"n\":3,\"seed\":5").replace("\"temperature\":0", "\"temperature\":1"));
        assertEquals(3, whole.path("choices").size());
        for (int i = 0; i < 3; i++) {
            assertEquals("stop", choice(whole, i).path("finish_reason").asText());
            checkFitsSchema(choice(whole, i).path("message").path("content").asText());
        }
    }

    @Test
    void maxTokensCutsTheValueShortWithFinishReasonLength() throws Exception {
        JsonNode whole = client.postJson("/v1/chat/completions", chat(SCHEMA_FORMAT, "").replace("\"max_tokens\":" + MAX, "\"max_tokens\":3"));
        assertEquals("length", choice(whole, 0).path("finish_reason").asText());
        String text = choice(whole, 0).path("message").path("content").asText();
        var state = schema().document().step(text.getBytes(StandardCharsets.UTF_8));
        assertNotNull(state, text);
        assertFalse(state.canEnd(), text);
    }

    @Test
    void withoutBatchingTheFormatIsRefusedNotIgnored() throws Exception {
        var options = ServerOptions.defaults().withLogRequests(false).withBatching(false);
        try (var unbatched = new InferenceServer(MODEL, TOKENIZER, "tiny-test", ExitSet.all(LAYERS), options).start(0)) {
            var response = new TestClient(unbatched.port()).post("/v1/chat/completions", chat("{\"type\":\"json_object\"}", ""));
            assertEquals(400, response.statusCode(), response.body());
            JsonNode error = TestClient.JSON.readTree(response.body()).path("error");
            assertEquals("response_format", error.path("param").asText());
            assertEquals("unsupported_parameter", error.path("code").asText());
        }
    }

    @Test
    void unsupportedSchemasAreRefusedByName() throws Exception {
        String[][] cases = {
                {"{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"r\",\"schema\":{\"type\":\"object\",\"properties\":"
                        + "{\"answer\":{\"type\":\"string\",\"pattern\":\"^y\"}}}}}", "",
                        "response_format.json_schema.schema.properties.answer.pattern is not supported"},
                {"{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"r\",\"schema\":{\"oneOf\":[{\"type\":\"string\"}]}}}", "",
                        "response_format.json_schema.schema.oneOf is not supported"},
                {"{\"type\":\"xml\"}", "", "response_format.type"},
                {"{\"type\":\"json_schema\"}", "", "response_format.json_schema is required"},
                {"{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"r\"}}", "", "response_format.json_schema.schema is required"},
        };
        for (String[] c : cases) {
            var response = client.post("/v1/chat/completions", chat(c[0], c[1]));
            assertEquals(400, response.statusCode(), response.body());
            JsonNode error = TestClient.JSON.readTree(response.body()).path("error");
            assertEquals("response_format", error.path("param").asText(), response.body());
            assertTrue(error.path("message").asText().contains(c[2]), response.body());
        }
    }
}

package sortedllama.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.openai.LogProb;
import dev.langchain4j.model.openai.OpenAiChatResponseMetadata;
import dev.langchain4j.model.output.FinishReason;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sortedllama.infer.DecodePlan;
import sortedllama.infer.json.JsonGrammars;
import sortedllama.model.ExitSet;

/**
 * LangChain4j's OpenAI client (langchain4j-open-ai, as applications use it) against the real
 * server: chat, streaming, usage and finish reasons come back as the client models them, and a
 * refused request surfaces as the client's own exception.
 */
class LangChain4jConformanceTest {
    static final int MAX = 24;
    /** Room for a whole small JSON value (whitespace between its tokens is bounded, not absent). */
    static final int JSON_MAX = 160;
    static InferenceServer server;
    static String baseUrl;

    @BeforeAll
    static void start() {
        var options = ServerOptions.defaults().withLogRequests(false).withLimits(4, 8);
        server = new InferenceServer(InferenceServerTest.MODEL, InferenceServerTest.TOKENIZER, "tiny-test",
                ExitSet.all(InferenceServerTest.LAYERS), options).start(0);
        baseUrl = "http://127.0.0.1:" + server.port() + "/v1";
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** The prompt LLaMA 2 chat makes of {@link #storyRequest}'s messages. */
    static final int[] PROMPT = Direct.withBos(InferenceServerTest.TOKENIZER,
            "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nTell me a story. [/INST]");

    static ChatRequest storyRequest() {
        return ChatRequest.builder().messages(SystemMessage.from("Be brief."), UserMessage.from("Tell me a story.")).build();
    }

    @Test
    void chatGivesTheGeneratorsTextUsageAndFinishReason() {
        var model = OpenAiChatModel.builder().baseUrl(baseUrl).apiKey("unused").modelName("tiny-test").temperature(0.0)
                .maxTokens(MAX).maxRetries(0).build();
        ChatResponse response = model.chat(storyRequest());
        String expected = InferenceServerTest.greedy(PROMPT, InferenceServerTest.LAYERS, MAX);
        assertEquals(expected, response.aiMessage().text());
        assertEquals(PROMPT.length, response.tokenUsage().inputTokenCount());
        int generated = response.tokenUsage().outputTokenCount();
        assertEquals(PROMPT.length + generated, response.tokenUsage().totalTokenCount());
        assertEquals(generated == MAX ? FinishReason.LENGTH : FinishReason.STOP, response.finishReason());
    }

    @Test
    void streamingGivesTheSameTextInPartsThenTheWholeResponse() throws Exception {
        var model = OpenAiStreamingChatModel.builder().baseUrl(baseUrl).apiKey("unused").modelName("tiny-test").temperature(0.0)
                .maxTokens(MAX).build();
        var parts = new StringBuilder();
        var done = new CompletableFuture<ChatResponse>();
        model.chat(storyRequest(), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String text) {
                parts.append(text);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse response = done.get(30, TimeUnit.SECONDS);
        String expected = InferenceServerTest.greedy(PROMPT, InferenceServerTest.LAYERS, MAX);
        assertEquals(expected, parts.toString());
        assertEquals(expected, response.aiMessage().text());
        assertEquals(PROMPT.length, response.tokenUsage().inputTokenCount(), "usage arrives with include_usage");
        assertTrue(response.finishReason() == FinishReason.LENGTH || response.finishReason() == FinishReason.STOP);
    }

    @Test
    void logprobsArriveInTheClientsMetadata() {
        var model = OpenAiChatModel.builder().baseUrl(baseUrl).apiKey("unused").modelName("tiny-test").temperature(0.0)
                .maxTokens(MAX).maxRetries(0).logprobs(true).topLogprobs(2).build();
        ChatResponse response = model.chat(storyRequest());
        List<LogProb> logprobs = ((OpenAiChatResponseMetadata) response.metadata()).logProbs();
        assertFalse(logprobs.isEmpty());
        // one entry per token of the text: all generated tokens but a turn-ending one
        int ending = response.finishReason() == FinishReason.STOP ? 1 : 0;
        assertEquals(response.tokenUsage().outputTokenCount() - ending, logprobs.size());
        for (LogProb p : logprobs) {
            assertEquals(2, p.topLogprobs().size());
            assertEquals(p.token(), p.topLogprobs().getFirst().token(), "greedy: the chosen token is the most probable");
            assertTrue(p.logprob() < 0);
        }
    }

    @Test
    void jsonModeGivesTheConstrainedGenerationsObject() throws Exception {
        var model = OpenAiChatModel.builder().baseUrl(baseUrl).apiKey("unused").modelName("tiny-test").temperature(0.0)
                .maxTokens(JSON_MAX).maxRetries(0).responseFormat(ResponseFormat.JSON).build();
        ChatResponse response = model.chat(storyRequest());
        String text = response.aiMessage().text();
        assertEquals(Direct.constrained(InferenceServerTest.MODEL, InferenceServerTest.TOKENIZER, PROMPT, JSON_MAX,
                DecodePlan.fixedExit(InferenceServerTest.LAYERS, InferenceServerTest.MODEL.config()), JsonGrammars.anyObject()), text);
        assertNotNull(JsonGrammars.anyObject().document().step(text.getBytes(StandardCharsets.UTF_8)), "a prefix of an object: " + text);
        if (response.finishReason() == FinishReason.STOP) assertTrue(new ObjectMapper().readTree(text).isObject(), text);
    }

    @Test
    void aJsonSchemaComesBackAsAValueOfIt() throws Exception {
        var model = OpenAiChatModel.builder().baseUrl(baseUrl).apiKey("unused").modelName("tiny-test").temperature(0.0)
                .maxTokens(JSON_MAX).maxRetries(0).strictJsonSchema(true).build();
        var schema = JsonSchema.builder().name("verdict").rootElement(JsonObjectSchema.builder()
                .addEnumProperty("answer", List.of("yes", "no")).addBooleanProperty("sure")
                .required("answer", "sure").additionalProperties(false).build()).build();
        var request = ChatRequest.builder().messages(storyRequest().messages())
                .responseFormat(ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(schema).build())
                .build();
        ChatResponse response = model.chat(request);
        assertEquals(FinishReason.STOP, response.finishReason(), response.aiMessage().text());
        JsonNode value = new ObjectMapper().readTree(response.aiMessage().text());
        assertTrue(List.of("yes", "no").contains(value.path("answer").textValue()), value.toString());
        assertTrue(value.path("sure").isBoolean(), value.toString());
        assertEquals(2, value.size(), value.toString());
    }

    @Test
    void refusedRequestsSurfaceAsTheClientsInvalidRequestException() {
        var json = OpenAiChatModel.builder().baseUrl(baseUrl).apiKey("unused").modelName("tiny-test").maxRetries(0).build();
        var patterned = JsonSchema.builder().name("code").rootElement(JsonObjectSchema.builder()
                .addProperty("code", JsonRawSchema.from("{\"type\": \"string\", \"pattern\": \"^[A-Z]{3}$\"}")).build()).build();
        var request = ChatRequest.builder().messages(storyRequest().messages())
                .responseFormat(ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(patterned).build())
                .build();
        var e = assertThrows(InvalidRequestException.class, () -> json.chat(request));
        assertTrue(e.getMessage().contains("response_format.json_schema.schema.properties.code.pattern is not supported"), e.getMessage());

        var hot = OpenAiChatModel.builder().baseUrl(baseUrl).apiKey("unused").modelName("tiny-test").maxRetries(0)
                .temperature(5.0).build();
        var tooHot = assertThrows(InvalidRequestException.class, () -> hot.chat(storyRequest()));
        assertTrue(tooHot.getMessage().contains("temperature"), tooHot.getMessage());
    }
}

package sortedllama.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.UUID;

/**
 * The response objects of one completion or chat request, whole or as stream chunks, in OpenAI's
 * shapes; every object of a request carries the same id and creation time.
 */
final class CompletionResponses {
    private final ApiKind kind;
    private final String id;
    private final long created;
    private final String model;

    CompletionResponses(ApiKind kind, String model) {
        this.kind = kind;
        this.id = kind.idPrefix + UUID.randomUUID().toString().replace("-", "");
        this.created = System.currentTimeMillis() / 1000;
        this.model = model;
    }

    /** The non-streaming response: choice i has texts[i] and ended as choices[i] did. */
    ObjectNode whole(List<String> texts, List<Completion> choices) {
        ObjectNode root = envelope(kind.object);
        ArrayNode array = root.putArray("choices");
        for (int i = 0; i < choices.size(); i++) {
            ObjectNode choice = array.addObject();
            choice.put("index", i);
            if (kind == ApiKind.CHAT) {
                ObjectNode message = choice.putObject("message");
                message.put("role", "assistant");
                message.put("content", texts.get(i));
            } else {
                choice.put("text", texts.get(i));
                choice.putNull("logprobs");
            }
            choice.put("finish_reason", choices.get(i).finishReason());
        }
        root.set("usage", usage(choices));
        return root;
    }

    /** Chat streams open with the assistant's role and no text, as OpenAI's do; completions need no opening. */
    ObjectNode openingChunk(int index) {
        if (kind != ApiKind.CHAT) return null;
        ObjectNode root = envelope(kind.chunkObject);
        ObjectNode delta = chunkChoice(root, index, null);
        delta.put("role", "assistant");
        delta.put("content", "");
        return root;
    }

    ObjectNode textChunk(int index, String text) {
        ObjectNode root = envelope(kind.chunkObject);
        ObjectNode delta = chunkChoice(root, index, null);
        delta.put(kind == ApiKind.CHAT ? "content" : "text", text);
        return root;
    }

    ObjectNode finishChunk(int index, String finishReason) {
        ObjectNode root = envelope(kind.chunkObject);
        ObjectNode delta = chunkChoice(root, index, finishReason);
        if (kind == ApiKind.COMPLETION) delta.put("text", "");
        return root;
    }

    /** With stream_options.include_usage: a last chunk with no choices and the token counts. */
    ObjectNode usageChunk(List<Completion> choices) {
        ObjectNode root = envelope(kind.chunkObject);
        root.putArray("choices");
        root.set("usage", usage(choices));
        return root;
    }

    /** The prompt once (its prefill serves every choice's count), the completions of all choices. */
    private static ObjectNode usage(List<Completion> choices) {
        int generated = 0;
        for (Completion c : choices) generated += c.completionTokens();
        return OpenAiJson.usage(choices.getFirst().promptTokens(), generated);
    }

    private ObjectNode envelope(String object) {
        ObjectNode root = OpenAiJson.MAPPER.createObjectNode();
        root.put("id", id);
        root.put("object", object);
        root.put("created", created);
        root.put("model", model);
        return root;
    }

    /**
     * Adds the one choice of a chunk; returns where its text goes: the chat delta object, or
     * (completions) the choice itself, which carries "text" directly.
     */
    private ObjectNode chunkChoice(ObjectNode root, int index, String finishReason) {
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", index);
        ObjectNode target = kind == ApiKind.CHAT ? choice.putObject("delta") : choice;
        if (kind == ApiKind.COMPLETION) choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        return target;
    }
}

package sortedllama.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
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

    /** The non-streaming response. */
    ObjectNode whole(String text, Completion c) {
        ObjectNode root = envelope(kind.object);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        if (kind == ApiKind.CHAT) {
            ObjectNode message = choice.putObject("message");
            message.put("role", "assistant");
            message.put("content", text);
        } else {
            choice.put("text", text);
            choice.putNull("logprobs");
        }
        choice.put("finish_reason", c.finishReason());
        root.set("usage", OpenAiJson.usage(c.promptTokens(), c.completionTokens()));
        return root;
    }

    /** Chat streams open with the assistant's role and no text, as OpenAI's do; completions need no opening. */
    ObjectNode openingChunk() {
        if (kind != ApiKind.CHAT) return null;
        ObjectNode root = envelope(kind.chunkObject);
        ObjectNode delta = chunkChoice(root, null);
        delta.put("role", "assistant");
        delta.put("content", "");
        return root;
    }

    ObjectNode textChunk(String text) {
        ObjectNode root = envelope(kind.chunkObject);
        ObjectNode delta = chunkChoice(root, null);
        delta.put(kind == ApiKind.CHAT ? "content" : "text", text);
        return root;
    }

    ObjectNode finishChunk(String finishReason) {
        ObjectNode root = envelope(kind.chunkObject);
        ObjectNode delta = chunkChoice(root, finishReason);
        if (kind == ApiKind.COMPLETION) delta.put("text", "");
        return root;
    }

    /** With stream_options.include_usage: a last chunk with no choices and the token counts. */
    ObjectNode usageChunk(Completion c) {
        ObjectNode root = envelope(kind.chunkObject);
        root.putArray("choices");
        root.set("usage", OpenAiJson.usage(c.promptTokens(), c.completionTokens()));
        return root;
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
    private ObjectNode chunkChoice(ObjectNode root, String finishReason) {
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode target = kind == ApiKind.CHAT ? choice.putObject("delta") : choice;
        if (kind == ApiKind.COMPLETION) choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        return target;
    }
}

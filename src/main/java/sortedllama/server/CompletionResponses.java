package sortedllama.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import sortedllama.infer.TokenLogprobs;
import sortedllama.tokenizer.Tokenizer;

/**
 * The response objects of one completion or chat request, whole or as stream chunks, in OpenAI's
 * shapes; every object of a request carries the same id and creation time.
 */
final class CompletionResponses {
    private final ApiKind kind;
    private final String id;
    private final long created;
    private final String model;
    private final Tokenizer tokenizer;

    /** @param tokenizer renders the tokens of log probabilities */
    CompletionResponses(ApiKind kind, String model, Tokenizer tokenizer) {
        this.kind = kind;
        this.tokenizer = tokenizer;
        this.id = kind.idPrefix + UUID.randomUUID().toString().replace("-", "");
        this.created = System.currentTimeMillis() / 1000;
        this.model = model;
    }

    /**
     * The non-streaming response: choice i has texts[i] and ended as choices[i] did.
     *
     * @param logprobs each choice's token log probabilities, or null when not asked for
     */
    ObjectNode whole(List<String> texts, List<List<TokenLogprobs>> logprobs, List<Completion> choices) {
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
            }
            choice.set("logprobs", logprobs == null ? null : logprobs(logprobs.get(i)));
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

    /** @param logprobs the log probabilities of the tokens this text came from, or null when not asked for */
    ObjectNode textChunk(int index, String text, List<TokenLogprobs> logprobs) {
        ObjectNode root = envelope(kind.chunkObject);
        ObjectNode delta = chunkChoice(root, index, null);
        delta.put(kind == ApiKind.CHAT ? "content" : "text", text);
        if (logprobs != null) ((ObjectNode) root.path("choices").get(0)).set("logprobs", logprobs(logprobs));
        return root;
    }

    /**
     * Log probabilities as OpenAI writes them: for chat, {"content": [{token, logprob, bytes,
     * top_logprobs: [...]}]}; for completions, parallel arrays tokens, token_logprobs, top_logprobs
     * (token to logprob) and text_offset.
     */
    private ObjectNode logprobs(List<TokenLogprobs> tokens) {
        ObjectNode out = OpenAiJson.MAPPER.createObjectNode();
        if (kind == ApiKind.CHAT) {
            ArrayNode content = out.putArray("content");
            for (TokenLogprobs t : tokens) {
                ObjectNode entry = tokenEntry(content.addObject(), t.token(), t.logprob());
                ArrayNode top = entry.putArray("top_logprobs");
                for (int k = 0; k < t.topIds().length; k++) tokenEntry(top.addObject(), t.topIds()[k], t.topLogprobs()[k]);
            }
            return out;
        }
        ArrayNode texts = out.putArray("tokens"), values = out.putArray("token_logprobs"), tops = out.putArray("top_logprobs"),
                offsets = out.putArray("text_offset");
        int offset = 0;
        for (TokenLogprobs t : tokens) {
            String text = tokenText(t.token());
            texts.add(text);
            values.add(t.logprob());
            ObjectNode top = tops.addObject();
            for (int k = 0; k < t.topIds().length; k++) top.put(tokenText(t.topIds()[k]), t.topLogprobs()[k]);
            offsets.add(offset);
            offset += text.length();
        }
        return out;
    }

    private ObjectNode tokenEntry(ObjectNode entry, int token, float logprob) {
        entry.put("token", tokenText(token));
        entry.put("logprob", logprob);
        ArrayNode bytes = entry.putArray("bytes");
        for (byte b : tokenizer.decodeBytes(token)) bytes.add(b & 0xFF);
        return entry;
    }

    /** A token's text (a piece of a character when the token holds only some of its UTF-8 bytes). */
    private String tokenText(int token) {
        return new String(tokenizer.decodeBytes(token), StandardCharsets.UTF_8);
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
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        return target;
    }
}

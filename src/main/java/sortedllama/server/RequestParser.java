package sortedllama.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import sortedllama.BadInputException;
import sortedllama.infer.DecodePlan;
import sortedllama.infer.Sampler;
import sortedllama.infer.json.ValueGrammar;

/**
 * Reads and validates a completion or chat request body into a {@link GenerationRequest}. Every
 * problem becomes a 400 before any work starts. Sampling defaults follow OpenAI (temperature 1,
 * top_p 1, a random seed); our own fields (exit_layer, budget, mode, draft_exit, draft_tokens,
 * confidence, kv_fill) mean what the CLI's options of the same names mean (see {@link DecodePlan}).
 */
final class RequestParser {
    /** Choices one request may ask for (n): each takes a place in the batch. */
    static final int MAX_CHOICES = 16;
    /** OpenAI accepts up to four stop sequences. */
    static final int MAX_STOP_STRINGS = 4;
    private final ServingModel model;
    private final int defaultMaxTokens;
    private final boolean mergeMessages;

    /** @param mergeMessages reshape chat messages for the template first ({@link ChatMessage#merged}) */
    RequestParser(ServingModel model, int defaultMaxTokens, boolean mergeMessages) {
        this.model = model;
        this.defaultMaxTokens = defaultMaxTokens;
        this.mergeMessages = mergeMessages;
    }

    GenerationRequest parse(byte[] body, ApiKind kind) {
        JsonFields f = JsonFields.parse(body);
        refuseUnimplemented(f);
        ValueGrammar format = ResponseFormat.grammar(f.node(ResponseFormat.PARAM)); // a bad schema is refused before any tokenising
        Integer n = f.integer("n");
        if (n != null && (n < 1 || n > MAX_CHOICES)) throw ApiException.badRequest("n must be in 1.." + MAX_CHOICES + ", got " + n, "n");
        Integer maxTokens = f.integer("max_tokens");
        if (maxTokens == null && kind == ApiKind.CHAT) maxTokens = f.integer("max_completion_tokens");
        if (maxTokens != null && maxTokens < 1) throw ApiException.badRequest("max_tokens must be at least 1, got " + maxTokens, "max_tokens");
        int[] prompt = kind == ApiKind.CHAT ? chatPrompt(f) : textPrompt(f);
        checkPromptFits(prompt, kind.promptField);
        int room = model.config().generationRoom(prompt.length);
        if (maxTokens != null && maxTokens > room) {
            throw ApiException.contextLengthExceeded("this model's maximum context length is " + model.config().contextLength()
                    + " tokens, but " + (prompt.length + (long) maxTokens) + " were requested (" + prompt.length
                    + " in the prompt, " + maxTokens + " for the completion)", "max_tokens");
        }
        // The default stops at the context's end ("length") rather than refusing a long prompt.
        if (maxTokens == null) maxTokens = Math.min(defaultMaxTokens, room);
        boolean stream = Boolean.TRUE.equals(f.bool("stream"));
        return new GenerationRequest(prompt, maxTokens, samplers(f, n == null ? 1 : n), stopStrings(f), plan(f), stream,
                stream && includeUsage(f), topLogprobs(f, kind), format);
    }

    /** A string (BOS is prepended, as the CLI's --prompt does) or token ids used as given. */
    private int[] textPrompt(JsonFields f) {
        JsonNode p = f.node("prompt");
        if (p == null) throw ApiException.badRequest("prompt is required", "prompt");
        if (p.isTextual()) {
            refuseCertainlyTooLong(utf8Bytes(p.asText()), "prompt");
            return model.tokenizer().encodeAfterBos(p.asText(), model.bosId());
        }
        if (!p.isArray()) throw JsonFields.wrongType("prompt", "a string or an array of token ids", p);
        int[] ids = new int[p.size()];
        int vocab = model.config().vocabSize();
        for (int i = 0; i < ids.length; i++) {
            JsonNode id = p.get(i);
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.intValue() < 0 || id.intValue() >= vocab) {
                throw ApiException.badRequest("prompt[" + i + "] must be a token id in 0.." + (vocab - 1) + ", got " + id, "prompt");
            }
            ids[i] = id.intValue();
        }
        return ids;
    }

    private int[] chatPrompt(JsonFields f) {
        JsonNode list = f.node("messages");
        if (list == null) throw ApiException.badRequest("messages is required", "messages");
        if (!list.isArray() || list.isEmpty()) throw JsonFields.wrongType("messages", "a non-empty array of messages", list);
        List<ChatMessage> messages = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < list.size(); i++) {
            JsonFields m = JsonFields.of(list.get(i), "messages[" + i + "]");
            String role = m.string("role");
            if (role == null) throw ApiException.badRequest("messages[" + i + "].role is required", "messages");
            messages.add(new ChatMessage(role, content(m.node("content"), i)));
            bytes += utf8Bytes(messages.getLast().content());
        }
        refuseCertainlyTooLong(bytes, "messages");
        return model.chatTemplate().promptIds(mergeMessages ? ChatMessage.merged(messages) : messages);
    }

    /** A string, or OpenAI's array of content parts of which we take the text ones. */
    private static String content(JsonNode content, int index) {
        if (content == null) return "";
        if (content.isTextual()) return content.asText();
        if (content.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : content) {
                if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiException.badRequest("messages[" + index + "].content: only text parts are supported", "messages");
                }
                text.append(part.get("text").asText());
            }
            return text.toString();
        }
        throw JsonFields.wrongType("messages[" + index + "].content", "a string or an array of text parts", content);
    }

    /**
     * Refuses text that cannot fit the context whatever its tokens, before it is tokenised: each
     * token stands for at most {@link ServingModel#longestTokenBytes} bytes, so a text of B bytes
     * has at least B / that many. A prompt of megabytes then costs a count of its bytes, not a
     * tokenisation holding gigabytes.
     */
    private void refuseCertainlyTooLong(long textBytes, String param) {
        long leastTokens = (textBytes + model.longestTokenBytes() - 1) / model.longestTokenBytes();
        int context = model.config().contextLength();
        if (leastTokens >= context) {
            throw ApiException.contextLengthExceeded("the prompt has at least " + leastTokens + " tokens (" + textBytes
                    + " bytes) but the model's context is " + context + " tokens", param);
        }
    }

    /** UTF-8 bytes of a string, counted without encoding it. */
    private static long utf8Bytes(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            n += c < 0x80 ? 1 : c < 0x800 || Character.isSurrogate(c) ? 2 : 3; // a surrogate pair: 4 bytes
        }
        return n;
    }

    private void checkPromptFits(int[] prompt, String param) {
        int context = model.config().contextLength();
        if (prompt.length == 0) throw ApiException.badRequest("the prompt is empty", param);
        if (model.config().generationRoom(prompt.length) == 0) {
            throw ApiException.contextLengthExceeded("the prompt has " + prompt.length + " tokens but the model's context is " + context
                    + " tokens (one must be left to generate)", param);
        }
    }

    /** One sampler per choice; choice i draws from seed + i, so a seed reproduces every choice and they differ. */
    private static List<Sampler> samplers(JsonFields f, int n) {
        double temperature = inRange(f, "temperature", 0, 2, 1.0);
        double topP = inRange(f, "top_p", 0, 1, 1.0);
        int topK = orDefault(f.integer("top_k"), 0);
        Long seed = f.longInteger("seed");
        long s = seed != null ? seed : ThreadLocalRandom.current().nextLong();
        List<Sampler> samplers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long choiceSeed = s + i;
            samplers.add(valid(null, () -> new Sampler((float) temperature, topK, (float) topP, choiceSeed)));
        }
        return samplers;
    }

    private static List<String> stopStrings(JsonFields f) {
        JsonNode stop = f.node("stop");
        if (stop == null) return List.of();
        List<String> stops = new ArrayList<>();
        if (stop.isTextual()) {
            stops.add(stop.asText());
        } else if (stop.isArray()) {
            for (JsonNode s : stop) {
                if (!s.isTextual()) throw JsonFields.wrongType("stop", "a string or an array of strings", stop);
                stops.add(s.asText());
            }
        } else {
            throw JsonFields.wrongType("stop", "a string or an array of strings", stop);
        }
        if (stops.contains("")) throw ApiException.badRequest("stop strings must not be empty", "stop");
        if (stops.size() > MAX_STOP_STRINGS) {
            throw ApiException.badRequest("at most " + MAX_STOP_STRINGS + " stop strings, got " + stops.size(), "stop");
        }
        return List.copyOf(stops);
    }

    private DecodePlan plan(JsonFields f) {
        Integer exitLayer = f.integer("exit_layer");
        if (exitLayer != null) valid("exit_layer", () -> { model.config().checkExitLayer(exitLayer); return exitLayer; });
        JsonNode confidence = f.node("confidence");
        if (confidence != null && !confidence.isNumber() && !confidence.isTextual()) {
            throw JsonFields.wrongType("confidence", "a number or a string like \"4:0.9,8:0.8\"", confidence);
        }
        String mode = f.string("mode");
        Double budget = f.number("budget");
        Integer draftExit = f.integer("draft_exit"), draftTokens = f.integer("draft_tokens");
        String kvFill = f.string("kv_fill");
        return valid(null, () -> DecodePlan.of(mode, exitLayer, budget, draftExit, draftTokens, true,
                confidence == null ? null : confidence.asText(), kvFill, model.exits(), model.config()));
    }

    /**
     * Parameters of the OpenAI API this server does not implement, refused by name when they ask
     * for anything (a client that gets prose for tool calls is worse off than one told no); their
     * neutral values (echo false, empty suffix, zero penalties, an empty logit_bias) pass, as
     * clients send them by default.
     */
    private static void refuseUnimplemented(JsonFields f) {
        if (nonEmpty(f.node("tools")) || nonEmpty(f.node("functions"))) {
            throw ApiException.unsupported(f.node("tools") != null ? "tools" : "functions", "no tool or function calling");
        }
        for (String choice : new String[] {"tool_choice", "function_call"}) {
            JsonNode c = f.node(choice);
            if (c != null && !"none".equals(c.asText())) throw ApiException.unsupported(choice, "no tool or function calling");
        }
        if (Boolean.TRUE.equals(f.bool("echo"))) throw ApiException.unsupported("echo", "the prompt is not echoed");
        String suffix = f.string("suffix");
        if (suffix != null && !suffix.isEmpty()) throw ApiException.unsupported("suffix", "no insertion");
        Integer bestOf = f.integer("best_of");
        if (bestOf != null && bestOf != 1) throw ApiException.unsupported("best_of", "one candidate per request");
        for (String penalty : new String[] {"presence_penalty", "frequency_penalty"}) {
            if (inRange(f, penalty, -2, 2, 0.0) != 0) throw ApiException.unsupported(penalty, "no repetition penalties");
        }
        if (nonEmpty(f.node("logit_bias"))) throw ApiException.unsupported("logit_bias", "no logit biases");
    }

    /**
     * Chat: logprobs true, with top_logprobs (0..20) alternatives; completions: logprobs N (0..5),
     * the alternatives. -1 when log probabilities are not asked for.
     */
    private static int topLogprobs(JsonFields f, ApiKind kind) {
        if (kind == ApiKind.CHAT) {
            int top = (int) inRange(f, "top_logprobs", 0, 20, -1);
            boolean on = Boolean.TRUE.equals(f.bool("logprobs"));
            if (top >= 0 && !on) throw ApiException.badRequest("top_logprobs needs logprobs: true", "top_logprobs");
            return on ? Math.max(top, 0) : -1;
        }
        Integer n = f.integer("logprobs");
        if (n != null && (n < 0 || n > 5)) throw ApiException.badRequest("logprobs must be between 0 and 5, got " + n, "logprobs");
        return n == null ? -1 : n;
    }

    private static boolean nonEmpty(JsonNode node) {
        return node != null && !node.isEmpty();
    }

    /** A number field within [min, max] (OpenAI's range for it), or {@code fallback} when absent. */
    private static double inRange(JsonFields f, String name, double min, double max, double fallback) {
        Double v = f.number(name);
        if (v == null) return fallback;
        if (!(v >= min && v <= max)) {
            throw ApiException.badRequest(name + " must be between " + number(min) + " and " + number(max) + ", got " + v, name);
        }
        return v;
    }

    private static String number(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private static boolean includeUsage(JsonFields f) {
        JsonNode options = f.node("stream_options");
        if (options == null) return false;
        return Boolean.TRUE.equals(JsonFields.of(options, "stream_options").bool("include_usage"));
    }

    /** Runs a check from the inference package, turning its BadInputException into a 400. */
    private static <T> T valid(String param, Supplier<T> check) {
        try {
            return check.get();
        } catch (BadInputException e) {
            throw ApiException.badRequest(e.getMessage(), param);
        }
    }

    private static <T> T orDefault(T value, T fallback) {
        return value != null ? value : fallback;
    }
}

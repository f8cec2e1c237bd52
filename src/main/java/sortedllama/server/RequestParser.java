package sortedllama.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import sortedllama.BadInputException;
import sortedllama.infer.DecodePlan;
import sortedllama.infer.Sampler;

/**
 * Reads and validates a completion or chat request body into a {@link GenerationRequest}. Every
 * problem becomes a 400 before any work starts. Sampling defaults follow OpenAI (temperature 1,
 * top_p 1, a random seed); our own fields (exit_layer, budget, mode, draft_exit, draft_tokens,
 * confidence, kv_fill) mean what the CLI's options of the same names mean (see {@link DecodePlan}).
 */
final class RequestParser {
    private final ServingModel model;
    private final int defaultMaxTokens;

    RequestParser(ServingModel model, int defaultMaxTokens) {
        this.model = model;
        this.defaultMaxTokens = defaultMaxTokens;
    }

    GenerationRequest parse(byte[] body, ApiKind kind) {
        JsonFields f = JsonFields.parse(body);
        int[] prompt = kind == ApiKind.CHAT ? chatPrompt(f) : textPrompt(f);
        checkPromptFits(prompt, kind.promptField);
        Integer n = f.integer("n");
        if (n != null && n != 1) throw ApiException.badRequest("only n=1 is supported, got " + n, "n");
        Integer maxTokens = f.integer("max_tokens");
        if (maxTokens == null && kind == ApiKind.CHAT) maxTokens = f.integer("max_completion_tokens");
        if (maxTokens == null) maxTokens = defaultMaxTokens;
        if (maxTokens < 0) throw ApiException.badRequest("max_tokens must be >= 0, got " + maxTokens, "max_tokens");
        // Generation ends at the context's end anyway ("length"); capping here keeps a huge
        // max_tokens from sizing the generator's per-token arrays.
        maxTokens = Math.min(maxTokens, model.config().contextLength() - prompt.length);
        boolean stream = Boolean.TRUE.equals(f.bool("stream"));
        return new GenerationRequest(prompt, maxTokens, sampler(f), stopStrings(f), plan(f), stream,
                stream && includeUsage(f));
    }

    /** A string (BOS is prepended, as the CLI's --prompt does) or token ids used as given. */
    private int[] textPrompt(JsonFields f) {
        JsonNode p = f.node("prompt");
        if (p == null) throw ApiException.badRequest("prompt is required", "prompt");
        if (p.isTextual()) {
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
        for (int i = 0; i < list.size(); i++) {
            JsonFields m = JsonFields.of(list.get(i), "messages[" + i + "]");
            String role = m.string("role");
            if (role == null) throw ApiException.badRequest("messages[" + i + "].role is required", "messages");
            messages.add(new ChatMessage(role, content(m.node("content"), i)));
        }
        return model.chatTemplate().promptIds(messages);
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

    private void checkPromptFits(int[] prompt, String param) {
        int context = model.config().contextLength();
        if (prompt.length == 0) throw ApiException.badRequest("the prompt is empty", param);
        if (prompt.length >= context) {
            throw ApiException.badRequest("the prompt has " + prompt.length + " tokens but the model's context is " + context
                    + " tokens (one must be left to generate)", param);
        }
    }

    private static Sampler sampler(JsonFields f) {
        double temperature = orDefault(f.number("temperature"), 1.0);
        double topP = orDefault(f.number("top_p"), 1.0);
        int topK = orDefault(f.integer("top_k"), 0);
        Long seed = f.longInteger("seed");
        long s = seed != null ? seed : ThreadLocalRandom.current().nextLong();
        return valid(null, () -> new Sampler((float) temperature, topK, (float) topP, s));
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

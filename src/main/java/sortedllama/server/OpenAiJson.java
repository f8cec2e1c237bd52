package sortedllama.server;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** JSON shapes shared by every endpoint: errors, usage and the model list, as OpenAI writes them. */
final class OpenAiJson {
    /** Refuses a body with anything after its JSON value, which would otherwise pass unnoticed. */
    static final ObjectMapper MAPPER = JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    private OpenAiJson() {}

    /** {"error":{"message":...,"type":...,"param":...,"code":null}} */
    static ObjectNode error(String message, String type, String param) {
        return error(message, type, param, null);
    }

    static ObjectNode error(String message, String type, String param, String code) {
        ObjectNode root = MAPPER.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", message);
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return root;
    }

    static ObjectNode error(ApiException e) {
        return error(e.getMessage(), e.type(), e.param(), e.code());
    }

    static ObjectNode usage(int promptTokens, int completionTokens) {
        ObjectNode usage = MAPPER.createObjectNode();
        usage.put("prompt_tokens", promptTokens);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", promptTokens + completionTokens);
        return usage;
    }

    /** GET /v1/models: the one model, with its depth and exit set so clients can pick exit_layer or budget. */
    static ObjectNode models(ServingModel model, long createdSeconds) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("object", "list");
        root.putArray("data").add(model(model, createdSeconds));
        return root;
    }

    /** GET /v1/models/{id}: the model's own entry. */
    static ObjectNode model(ServingModel model, long createdSeconds) {
        ObjectNode entry = MAPPER.createObjectNode();
        entry.put("id", model.id());
        entry.put("object", "model");
        entry.put("created", createdSeconds);
        entry.put("owned_by", "sorted-llama");
        entry.put("layers", model.config().nLayers());
        var exits = entry.putArray("exits");
        for (int exit : model.exits().layers()) exits.add(exit);
        entry.put("context_length", model.config().contextLength());
        entry.put("chat_template", model.chatTemplate().name());
        return entry;
    }
}

package sortedllama.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;

/**
 * Typed, optional fields of a JSON request object. A field that is absent or null reads as null;
 * one of the wrong type is a 400 naming it. Fields nobody asks for are ignored, since OpenAI
 * clients send many we do not use.
 */
final class JsonFields {
    private final JsonNode object;

    private JsonFields(JsonNode object) {
        this.object = object;
    }

    static JsonFields parse(byte[] body) {
        JsonNode node;
        try {
            node = OpenAiJson.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("the request body is not valid JSON: " + e.getOriginalMessage(), null);
        } catch (IOException e) {
            throw ApiException.badRequest("the request body could not be read: " + e.getMessage(), null);
        }
        return of(node, "the request body");
    }

    /** @param what how to name the object in an error, e.g. "messages[2]" */
    static JsonFields of(JsonNode node, String what) {
        if (node == null || !node.isObject()) throw ApiException.badRequest(what + " must be a JSON object", null);
        return new JsonFields(node);
    }

    /** The raw field, or null when absent or JSON null. */
    JsonNode node(String name) {
        JsonNode n = object.get(name);
        return n == null || n.isNull() ? null : n;
    }

    String string(String name) {
        JsonNode n = node(name);
        if (n == null) return null;
        if (!n.isTextual()) throw wrongType(name, "a string", n);
        return n.asText();
    }

    Integer integer(String name) {
        JsonNode n = node(name);
        if (n == null) return null;
        if (!n.isIntegralNumber() || !n.canConvertToInt()) throw wrongType(name, "an integer", n);
        return n.intValue();
    }

    Long longInteger(String name) {
        JsonNode n = node(name);
        if (n == null) return null;
        if (!n.isIntegralNumber() || !n.canConvertToLong()) throw wrongType(name, "an integer", n);
        return n.longValue();
    }

    Double number(String name) {
        JsonNode n = node(name);
        if (n == null) return null;
        if (!n.isNumber()) throw wrongType(name, "a number", n);
        return n.doubleValue();
    }

    Boolean bool(String name) {
        JsonNode n = node(name);
        if (n == null) return null;
        if (!n.isBoolean()) throw wrongType(name, "true or false", n);
        return n.booleanValue();
    }

    static ApiException wrongType(String name, String expected, JsonNode got) {
        String shown = got.toString();
        if (shown.length() > 60) shown = shown.substring(0, 57) + "...";
        return ApiException.badRequest(name + " must be " + expected + ", got " + shown, name);
    }
}

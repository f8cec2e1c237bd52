package sortedllama.server;

import com.fasterxml.jackson.databind.JsonNode;
import sortedllama.BadInputException;
import sortedllama.infer.json.JsonGrammars;
import sortedllama.infer.json.ValueGrammar;

/**
 * OpenAI's response_format: text (no constraint), json_object (JSON mode: the output is a JSON
 * object) or json_schema (structured outputs: {@code {"name", "schema", "strict"}}, the output a
 * value of the schema). Both JSON kinds are enforced by constrained decoding; a schema keyword
 * outside the supported subset is a 400 naming it by its path.
 */
final class ResponseFormat {
    static final String PARAM = "response_format";

    private ResponseFormat() {}

    /** The grammar the output must follow, or null for text (or no response_format). */
    static ValueGrammar grammar(JsonNode format) {
        if (format == null) return null;
        JsonFields f = JsonFields.of(format, PARAM);
        String type = f.string("type");
        if (type == null) throw ApiException.badRequest(PARAM + ".type is required", PARAM);
        return switch (type) {
            case "text" -> null;
            case "json_object" -> JsonGrammars.anyObject();
            case "json_schema" -> schema(f.node("json_schema"));
            default -> throw ApiException.badRequest(PARAM + ".type must be text, json_object or json_schema, got \"" + type + "\"", PARAM);
        };
    }

    private static ValueGrammar schema(JsonNode jsonSchema) {
        String path = PARAM + ".json_schema";
        if (jsonSchema == null) throw ApiException.badRequest(path + " is required with type json_schema", PARAM);
        JsonNode schema = JsonFields.of(jsonSchema, path).node("schema");
        if (schema == null) throw ApiException.badRequest(path + ".schema is required", PARAM);
        try {
            return JsonGrammars.fromSchema(schema, path + ".schema");
        } catch (BadInputException e) {
            throw ApiException.badRequest(e.getMessage(), PARAM);
        }
    }
}

package sortedllama.infer.json;

import com.fasterxml.jackson.databind.JsonNode;

/** The grammars structured output asks for: JSON mode's object, or a JSON Schema's values. */
public final class JsonGrammars {
    private JsonGrammars() {}

    /** Any JSON object (OpenAI's JSON mode, response_format json_object). */
    public static ValueGrammar anyObject() {
        return AnyValueGrammar.OBJECT;
    }

    /**
     * The values a schema allows (response_format json_schema), in the subset {@link SchemaCompiler}
     * describes; a keyword outside it is a BadInputException naming it as {@code path.KEYWORD...}.
     */
    public static ValueGrammar fromSchema(JsonNode schema, String path) {
        return SchemaCompiler.compile(schema, path);
    }
}

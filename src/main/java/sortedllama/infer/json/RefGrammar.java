package sortedllama.infer.json;

import java.util.Map;

/**
 * A $ref to a definition that is still being compiled when it is met (a recursive schema): looked
 * up when the output reaches it. The compiler allows this only below an object or array, so each
 * recursion consumes bytes and the states stay finite.
 */
final class RefGrammar implements ValueGrammar {
    private final Map<String, ValueGrammar> definitions;
    private final String name;

    RefGrammar(Map<String, ValueGrammar> definitions, String name) {
        this.definitions = definitions;
        this.name = name;
    }

    @Override
    public JsonState start(JsonState after) {
        return definitions.get(name).start(after);
    }
}

package sortedllama.infer.json;

/**
 * The language of one JSON value (a compiled schema, or any value): where its output starts.
 * Whitespace around the value belongs to whoever contains it.
 */
public interface ValueGrammar {
    /** The state before the value's first byte; {@code after} is where its last byte leads. */
    JsonState start(JsonState after);

    /** The state before a whole output that is this value: bounded whitespace, the value, bounded whitespace, the end. */
    default JsonState document() {
        return Whitespace.before(start(Whitespace.before(JsonState.END)));
    }
}

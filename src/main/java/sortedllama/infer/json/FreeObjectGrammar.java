package sortedllama.infer.json;

/** Any object whose members' values are of {@code values} (JSON mode's object, or a schema's object without properties). */
final class FreeObjectGrammar implements ValueGrammar {
    private final ValueGrammar values;

    FreeObjectGrammar(ValueGrammar values) {
        this.values = values;
    }

    @Override
    public JsonState start(JsonState after) {
        return JsonState.expect('{', () -> Whitespace.before(Choice.of(member(after), JsonState.expect('}', () -> after))));
    }

    /** A key, a colon, a value, then a comma and another member or the closing brace. */
    private JsonState member(JsonState after) {
        JsonState commaOrClose = JsonState.on(b -> b == ',' ? Whitespace.before(member(after)) : b == '}' ? after : null);
        return StringGrammar.INSTANCE.start(Whitespace.before(JsonState.expect(':',
                () -> Whitespace.before(values.start(Whitespace.before(commaOrClose))))));
    }
}

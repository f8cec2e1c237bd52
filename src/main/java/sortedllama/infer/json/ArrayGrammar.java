package sortedllama.infer.json;

/** An array of {@code items}, with between {@code minItems} and {@code maxItems} of them. */
final class ArrayGrammar implements ValueGrammar {
    private final ValueGrammar items;
    private final int minItems, maxItems;

    ArrayGrammar(ValueGrammar items, int minItems, int maxItems) {
        this.items = items;
        this.minItems = minItems;
        this.maxItems = maxItems;
    }

    @Override
    public JsonState start(JsonState after) {
        return JsonState.expect('[', () -> Whitespace.before(Choice.of(
                maxItems > 0 ? item(1, after) : null,
                minItems == 0 ? JsonState.expect(']', () -> after) : null)));
    }

    /** Item number {@code n} (from 1), then a comma and the next or the closing bracket, as the bounds allow. */
    private JsonState item(int n, JsonState after) {
        return items.start(Whitespace.before(JsonState.on(b -> {
            if (b == ',' && n < maxItems) return Whitespace.before(item(n + 1, after));
            if (b == ']' && n >= minItems) return after;
            return null;
        })));
    }
}

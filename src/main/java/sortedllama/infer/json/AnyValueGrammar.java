package sortedllama.infer.json;

import java.util.List;

/** Any JSON value: what JSON mode allows inside its object, and a schema of {} or an object without properties. */
final class AnyValueGrammar implements ValueGrammar {
    static final AnyValueGrammar INSTANCE = new AnyValueGrammar();
    /** JSON mode's whole output: an object (OpenAI's JSON mode answers with an object, not any value). */
    static final ValueGrammar OBJECT = new FreeObjectGrammar(INSTANCE);
    private final ValueGrammar any;

    private AnyValueGrammar() {
        any = new AnyOfGrammar(List.of(new FreeObjectGrammar(this), new ArrayGrammar(this, 0, Integer.MAX_VALUE),
                StringGrammar.INSTANCE, NumberGrammar.NUMBER, LiteralGrammar.TRUE_OR_FALSE, LiteralGrammar.NULL));
    }

    @Override
    public JsonState start(JsonState after) {
        return any.start(after);
    }
}

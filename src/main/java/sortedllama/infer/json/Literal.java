package sortedllama.infer.json;

import java.util.function.Supplier;

/** A fixed text (true, a property's quoted name, an enum value), byte by byte, then {@code next}. */
final class Literal extends JsonState {
    private final byte[] text;
    private final int at;
    private final Supplier<JsonState> next;

    /** @param next made when the text is complete (so recursive grammars stay finite) */
    Literal(byte[] text, Supplier<JsonState> next) {
        this(text, 0, next);
    }

    private Literal(byte[] text, int at, Supplier<JsonState> next) {
        this.text = text;
        this.at = at;
        this.next = next;
    }

    @Override
    public JsonState step(int b) {
        if ((text[at] & 0xFF) != b) return null;
        return at + 1 == text.length ? next.get() : new Literal(text, at + 1, next);
    }
}

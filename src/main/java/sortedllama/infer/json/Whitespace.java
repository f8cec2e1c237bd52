package sortedllama.infer.json;

/**
 * Whitespace allowed between JSON tokens, bounded: at most {@link #MAX_BYTES} bytes and
 * {@link #MAX_LINE_BREAKS} line breaks in one gap. Without a bound a model that likes newlines
 * (small models often fall into repeating one) could fill its whole max_tokens with them and never
 * finish the value: every newline would keep the output a valid prefix. The bound still lets a
 * pretty-printer break a line and indent a few levels.
 */
final class Whitespace extends JsonState {
    static final int MAX_BYTES = 16, MAX_LINE_BREAKS = 2;
    private final JsonState next;
    private final int bytes, lineBreaks;

    private Whitespace(JsonState next, int bytes, int lineBreaks) {
        this.next = next;
        this.bytes = bytes;
        this.lineBreaks = lineBreaks;
    }

    /** Optional bounded whitespace, then {@code next}. */
    static JsonState before(JsonState next) {
        return new Whitespace(next, 0, 0);
    }

    @Override
    public JsonState step(int b) {
        boolean lineBreak = b == '\n' || b == '\r';
        if (b == ' ' || b == '\t' || lineBreak) {
            if (bytes == MAX_BYTES || (lineBreak && lineBreaks == MAX_LINE_BREAKS)) return null;
            return new Whitespace(next, bytes + 1, lineBreaks + (lineBreak ? 1 : 0));
        }
        return next.step(b);
    }

    @Override
    public boolean canEnd() {
        return next.canEnd();
    }
}

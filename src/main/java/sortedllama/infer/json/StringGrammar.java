package sortedllama.infer.json;

/**
 * Any JSON string: a quote, characters with JSON's escapes (\" \\ \/ \b \f \n \r \t \\uXXXX),
 * a quote. Raw control characters (below U+0020) are refused, as JSON does. A multi-byte UTF-8
 * character must be whole (a lead byte C2..F4, then its continuation bytes), though its bytes may
 * come in separate tokens; the finer ranges of the second byte (overlong forms, surrogates) are
 * not checked, as a decoder turns such a byte into U+FFFD, which is still a valid string.
 */
final class StringGrammar implements ValueGrammar {
    static final StringGrammar INSTANCE = new StringGrammar();

    private StringGrammar() {}

    @Override
    public JsonState start(JsonState after) {
        return JsonState.expect('"', () -> new Body(after));
    }

    /** Between the characters of a string that {@code after} follows. */
    static JsonState body(JsonState after) {
        return new Body(after);
    }

    /** Between characters: the one state a run of plain characters stays in (no allocation per byte). */
    private static final class Body extends JsonState {
        private final JsonState after;

        Body(JsonState after) {
            this.after = after;
        }

        @Override
        boolean inStringBody() {
            return true;
        }

        @Override
        public JsonState step(int b) {
            if (b == '"') return after;
            if (b == '\\') return new Pending(this, Pending.ESCAPE, 1);
            if (b < 0x20) return null;
            if (b < 0x80) return this;
            if (b >= 0xC2 && b <= 0xDF) return new Pending(this, Pending.UTF8, 1);
            if (b >= 0xE0 && b <= 0xEF) return new Pending(this, Pending.UTF8, 2);
            if (b >= 0xF0 && b <= 0xF4) return new Pending(this, Pending.UTF8, 3);
            return null; // a continuation byte without its lead, or a byte UTF-8 never uses
        }
    }

    /** Inside an escape or a multi-byte character: {@code left} more bytes of {@code kind} before the body again. */
    private static final class Pending extends JsonState {
        static final int ESCAPE = 0, HEX = 1, UTF8 = 2;
        private final Body body;
        private final int kind, left;

        Pending(Body body, int kind, int left) {
            this.body = body;
            this.kind = kind;
            this.left = left;
        }

        @Override
        public JsonState step(int b) {
            return switch (kind) {
                case ESCAPE -> b == 'u' ? new Pending(body, HEX, 4) : "\"\\/bfnrt".indexOf(b) >= 0 ? body : null;
                case HEX -> isHex(b) ? then() : null;
                default -> b >= 0x80 && b <= 0xBF ? then() : null;
            };
        }

        private JsonState then() {
            return left == 1 ? body : new Pending(body, kind, left - 1);
        }

        private static boolean isHex(int b) {
            return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
        }
    }
}

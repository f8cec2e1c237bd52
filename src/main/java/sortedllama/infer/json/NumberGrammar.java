package sortedllama.infer.json;

/**
 * A JSON number, {@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?}, or with {@code integer}
 * only its integer part (JSON Schema's integer written as integers are). A number has no closing
 * byte, so where it may end the next byte goes on to {@code after} when it is not a digit.
 */
final class NumberGrammar implements ValueGrammar {
    static final NumberGrammar NUMBER = new NumberGrammar(false), INTEGER = new NumberGrammar(true);
    // where a number is in its text; those marked complete may end there
    private static final int START = 0, MINUS = 1, ZERO = 2, DIGITS = 3, POINT = 4, FRACTION = 5, E = 6, E_SIGN = 7, EXPONENT = 8;
    private final boolean integer;

    private NumberGrammar(boolean integer) {
        this.integer = integer;
    }

    @Override
    public JsonState start(JsonState after) {
        return new Part(START, after);
    }

    private final class Part extends JsonState {
        private final int at;
        private final JsonState after;

        Part(int at, JsonState after) {
            this.at = at;
            this.after = after;
        }

        @Override
        public JsonState step(int b) {
            boolean digit = b >= '0' && b <= '9';
            JsonState next = switch (at) {
                case START -> b == '-' ? to(MINUS) : b == '0' ? to(ZERO) : digit ? to(DIGITS) : null;
                case MINUS -> b == '0' ? to(ZERO) : digit ? to(DIGITS) : null;
                case ZERO -> fractionOrExponent(b);
                case DIGITS -> digit ? this : fractionOrExponent(b);
                case POINT -> digit ? to(FRACTION) : null;
                case FRACTION -> digit ? this : b == 'e' || b == 'E' ? to(E) : null;
                case E -> b == '+' || b == '-' ? to(E_SIGN) : digit ? to(EXPONENT) : null;
                case E_SIGN -> digit ? to(EXPONENT) : null;
                default -> digit ? this : null;
            };
            if (next != null || !complete()) return next;
            return after.step(b); // the number ended before b
        }

        private JsonState fractionOrExponent(int b) {
            if (integer) return null;
            return b == '.' ? to(POINT) : b == 'e' || b == 'E' ? to(E) : null;
        }

        private JsonState to(int part) {
            return new Part(part, after);
        }

        private boolean complete() {
            return at == ZERO || at == DIGITS || at == FRACTION || at == EXPONENT;
        }

        @Override
        public boolean canEnd() {
            return complete() && after.canEnd();
        }
    }
}

package sortedllama.infer.json;

import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * A point in the output of a JSON grammar: which byte may come next and where it leads, and
 * whether the output may end here. States are immutable, so one can be kept while each token's
 * bytes are tried from it, shared by several choices, and stepped again for the next token.
 *
 * <p>The grammar reads UTF-8 bytes, not characters: a token is a byte string (a byte-fallback
 * token such as {@code <0xE2>} is a third of a character), so only bytes let a token be judged on
 * its own. Outside strings every byte of JSON is ASCII; inside strings a multi-byte character's
 * lead byte asks for its continuation bytes, which may come in later tokens.
 */
public abstract class JsonState {
    /** The state after byte {@code b} (0..255), or null when {@code b} cannot come here. */
    public abstract JsonState step(int b);

    /** True when the output may end here (a complete value, then at most its trailing whitespace). */
    public boolean canEnd() {
        return false;
    }

    /**
     * True between the characters of a free string, where a byte leads does not depend on
     * what follows the string until its closing quote: the state {@link TokenTrie} may skip stepping
     * for tokens that stay inside the string.
     */
    boolean inStringBody() {
        return false;
    }

    /** The state after all of {@code bytes}, or null when they do not continue the output. */
    public final JsonState step(byte[] bytes) {
        JsonState s = this;
        for (int i = 0; i < bytes.length && s != null; i++) s = s.step(bytes[i] & 0xFF);
        return s;
    }

    /** A state whose next byte decides where it leads ({@code next} answers null for bytes that cannot come). */
    static JsonState on(IntFunction<JsonState> next) {
        return new JsonState() {
            @Override
            public JsonState step(int b) {
                return next.apply(b);
            }
        };
    }

    /** Exactly the ASCII character {@code c}, then {@code next} (made when reached, so recursive grammars stay finite). */
    static JsonState expect(char c, Supplier<JsonState> next) {
        return on(b -> b == c ? next.get() : null);
    }

    /** The end of the output: nothing may follow. */
    static final JsonState END = new JsonState() {
        @Override
        public JsonState step(int b) {
            return null;
        }

        @Override
        public boolean canEnd() {
            return true;
        }
    };
}

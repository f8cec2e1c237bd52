package sortedllama.infer.json;

import java.util.Collection;
import sortedllama.infer.OutputConstraint;
import sortedllama.infer.Sampler;

/**
 * Keeps one generation's output a valid prefix of a JSON grammar: a token is allowed when its
 * bytes continue the output; a token that ends the output (EOS, a turn end) only once the value is
 * complete, after which only those and trailing whitespace (bounded) are allowed. Once an ending
 * token is taken the output is over, and nothing after it is constrained (speculation may draft
 * past it; those drafts are never emitted).
 *
 * <p>Tokens are judged by their bytes as the tokenizer decodes them. The one place text differs
 * is SentencePiece's first token after BOS, whose leading space the decoder drops: the grammar
 * counts that space as leading whitespace, so the text may have one byte less of it than the
 * bound, never anything the grammar refuses.
 */
public final class JsonConstraint implements OutputConstraint {
    private final TokenTrie vocabulary;
    private final int[] endTokens;
    private JsonState state;
    private boolean ended;

    /** @param endTokens the tokens that end a generation (EOS and turn ends) */
    public JsonConstraint(ValueGrammar grammar, TokenTrie vocabulary, Collection<Integer> endTokens) {
        this(vocabulary, endTokens.stream().mapToInt(Integer::intValue).toArray(), grammar.document(), false);
    }

    private JsonConstraint(TokenTrie vocabulary, int[] endTokens, JsonState state, boolean ended) {
        this.vocabulary = vocabulary;
        this.endTokens = endTokens;
        this.state = state;
        this.ended = ended;
    }

    @Override
    public JsonConstraint copy() {
        return new JsonConstraint(vocabulary, endTokens, state, ended); // states are immutable: sharing one is copying it
    }

    @Override
    public float[] restrict(float[] logits, boolean greedy) {
        if (ended) return logits;
        if (greedy && allows(Sampler.argmax(logits, 0, logits.length))) return logits;
        boolean[] allowed = allowed();
        float[] masked = logits.clone();
        boolean any = false;
        for (int i = 0; i < masked.length; i++) {
            if (i < allowed.length && allowed[i]) any = true;
            else masked[i] = Float.NEGATIVE_INFINITY;
        }
        // cannot happen with a vocabulary that has every byte (byte fallback, byte-level BPE)
        if (!any) throw new IllegalStateException("no token of the vocabulary continues the JSON output");
        return masked;
    }

    @Override
    public void accept(int token) {
        if (ended) return;
        if (!allows(token)) throw new IllegalStateException("token " + token + " breaks the JSON output");
        ended = isEnd(token);
        state = ended ? JsonState.END : state.step(vocabulary.bytes(token));
    }

    /** True when the output so far is a whole value (the generation may end). */
    public boolean complete() {
        return state.canEnd();
    }

    /** The tokens allowed next, by id. */
    boolean[] allowed() {
        boolean[] allowed = new boolean[vocabulary.vocabSize()];
        vocabulary.allow(state, allowed);
        for (int t : endTokens) allowed[t] = state.canEnd();
        return allowed;
    }

    boolean allows(int token) {
        if (isEnd(token)) return state.canEnd();
        byte[] bytes = token < vocabulary.vocabSize() ? vocabulary.bytes(token) : null;
        return bytes != null && state.step(bytes) != null;
    }

    private boolean isEnd(int token) {
        for (int t : endTokens) if (t == token) return true;
        return false;
    }
}

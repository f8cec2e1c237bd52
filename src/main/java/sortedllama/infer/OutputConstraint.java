package sortedllama.infer;

/**
 * What a generation may output, enforced token by token (structured output, e.g. JSON of a
 * schema): before each token is sampled, the tokens that would break the output are masked. One
 * instance per generation, as it follows that generation's tokens.
 */
public interface OutputConstraint {
    /**
     * The logits to sample the next token from: a copy of {@code logits} with every token that
     * may not come next at -infinity. With {@code greedy} it may instead return {@code logits}
     * itself when their argmax is allowed: the masked copy's argmax would be that same token, and
     * checking one token is far cheaper than the whole vocabulary.
     */
    float[] restrict(float[] logits, boolean greedy);

    /** Takes the token that was chosen (one that {@link #restrict} allowed). */
    void accept(int token);

    /** An independent constraint in the same state (speculation follows its drafts on copies). */
    OutputConstraint copy();
}

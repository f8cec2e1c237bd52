package sortedllama.train.data;

/** What to do with an example longer than the sequence length. Each case is counted in {@link DataStats}. */
public enum LongExamplePolicy {
    /** Keep its beginning (for prompt/response pairs the prompt and the start of the response). */
    TRUNCATE,
    /** Leave it out. */
    DROP,
    /**
     * Cut it into consecutive windows that together predict every token once: for long pre-training
     * documents. Later windows of a prompt/response pair lose sight of the prompt, so prefer
     * TRUNCATE or DROP for instruction data.
     */
    SPLIT
}

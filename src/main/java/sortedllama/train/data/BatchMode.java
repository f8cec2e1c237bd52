package sortedllama.train.data;

/** How examples are laid into the rows of a batch. */
public enum BatchMode {
    /**
     * One example per row, rows padded to the longest in their batch. Examples are sorted by length
     * within a shuffled window so that a batch holds similar lengths and little padding.
     */
    PAD,
    /**
     * Examples laid end to end in rows of exactly the sequence length, each its own segment (attention
     * and targets never cross into a neighbour); the space left at a row's end, when the next example
     * does not fit, is padding.
     */
    PACK
}

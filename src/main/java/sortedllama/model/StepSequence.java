package sortedllama.model;

/**
 * One sequence's share of a batched pass ({@link LlamaModel#step}): which of its positions go
 * through which layers, where their hidden states live, and at which exits it wants logits.
 *
 * <p>At layer l (0-based) the sequence runs positions {@code cache().filled(l)} .. {@code end() - 1}:
 * usually the one new token; also positions that left an earlier token's pass before layer l and
 * are caught up now (instance-aware early exit), or drafted positions verified together from the
 * draft's exit on (self-speculation). Their hidden states are read from and written back to
 * {@link #states}, so a position that leaves keeps the state it left with.
 */
public interface StepSequence {
    KVCache cache();

    /** The position after the last one this step feeds; the cache's length afterwards. */
    int end();

    /** Hidden states, {@code dim} floats per position from {@link #statesFrom} on, updated in place. */
    float[] states();

    /** The position of the first state in {@link #states}. */
    int statesFrom();

    /** How many of its last positions want logits from exit {@code exit} (1-based), once layer {@code exit} has run: 0 for none. */
    int logitsAt(int exit);

    /**
     * The logits asked for by {@link #logitsAt} ({@code count * vocab}, position-major); returns true
     * to leave the pass here. It may return false only where {@link #mayStay} says so; at the last
     * layer it must leave. A sequence that leaves where it asks for logits gets them later in the
     * pass, with those of the others (one read of the head for all).
     */
    boolean exitWith(int exit, float[] logits);

    /** Whether {@link #exitWith} may keep this sequence in the pass at {@code exit}: it looks at the logits to decide (adaptive depth). */
    default boolean mayStay(int exit) {
        return false;
    }

    /**
     * Whether, when the pass goes deeper anyway, this sequence may go on past an exit where it
     * {@link #mayStay} and decide later from the logits it had there. It then fills its deeper layers
     * for those positions as a later token would have (adaptive depth that recomputes skipped layers);
     * a sequence that copies its exit state upward instead must decide at once.
     */
    default boolean mayDecideLater() {
        return false;
    }
}
